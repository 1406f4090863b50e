"""Who the customer is: name, title / VIP, channel, tags, contact numbers (masked unless revealed), recent orders.

The panel shows what it is given; the app decides whether numbers come masked (from the local cache) or in
clear (fetched from the backend for one logged reveal, never stored).
"""

from __future__ import annotations

from typing import Protocol

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from widgets.i18n import tr
from widgets.inert_text import inert_text

NUMBER_LABELS = (("phone", "Phone"), ("id_number", "ID card"), ("bank_card", "Bank card"))  # tr() at use


class CustomerRow(Protocol):
    """local_cache.models.ChatSummary fits."""

    customer_name: str
    customer_title: str
    vip: bool
    channel: str
    priority: str
    tags: tuple[str, ...]


def customer_card(chat: CustomerRow, profile: dict, revealed: bool, note: str = "") -> Table:
    card = Table.grid(padding=(0, 1))
    card.add_column(style="dim", no_wrap=True)
    card.add_column(overflow="fold")
    name = inert_text(chat.customer_name, "bold")
    if chat.vip:
        name.append(" VIP", style="bold yellow")
    card.add_row(tr("Customer"), name)
    if chat.customer_title:
        card.add_row(tr("Address as"), inert_text(chat.customer_title))
    card.add_row(tr("Channel"), inert_text(chat.channel))
    card.add_row(tr("Priority"), inert_text(tr(chat.priority)))
    card.add_row(tr("Tags"), inert_text(", ".join(chat.tags) or "—"))
    for key, label in NUMBER_LABELS:
        if profile.get(key):
            value = inert_text(str(profile[key]), "bold red" if revealed else "")
            card.add_row(tr(label), value)
    if note:
        card.add_row("", inert_text(note, "italic"))
    orders = [order for order in profile.get("orders") or () if isinstance(order, dict)][:5]
    card.add_row("", "")
    card.add_row(tr("Orders"), Text(tr("none on record"), style="dim") if not orders else "")
    for order in orders:
        line = inert_text(str(order.get("id", "")), "bold")
        line.append_text(inert_text(f"  {tr(str(order.get('status', '')))}", "cyan"))
        details = " · ".join(str(order[field]) for field in ("item", "amount") if order.get(field) not in (None, ""))
        if details:
            line.append_text(inert_text(f"\n{details}", "dim"))
        card.add_row("", line)
    return card


class CustomerPanel(Static):
    DEFAULT_CSS = """
    CustomerPanel { width: 34; height: 1fr; padding: 0 1; border-left: solid $panel-lighten-2; }
    """

    _shown = None

    def show(self, chat: CustomerRow | None, profile: dict, revealed: bool = False, note: str = "") -> None:
        shown = (chat and (chat.customer_name, chat.customer_title, chat.vip, chat.channel, chat.priority, chat.tags),
                 repr(profile), revealed, note)
        if shown == self._shown:  # an update re-lays out the screen: not for every message that arrives
            return
        self._shown = shown
        # Its size is fixed by CSS (width 34, the full height), so its content never needs a screen layout.
        self.update("" if chat is None else customer_card(chat, profile, revealed, note), layout=False)
