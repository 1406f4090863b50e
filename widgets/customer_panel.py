"""Who the customer is: name, title / VIP, channel, tags, contact numbers (masked unless revealed), recent orders.

The panel shows what it is given; the app decides whether numbers come masked (from the local cache) or in
clear (fetched from the backend for one logged reveal, never stored). A profile comes from the backend as it is:
a value of the wrong type (orders that are a number, an order id that is a list) is shown as "unreadable" in its
place, never repeated and never a crash.
"""

from __future__ import annotations

from typing import Protocol

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text
from textual.widgets import Static

from widgets.i18n import tr
from widgets.inert_text import inert_text
from widgets.order_card import OrderShown, order_rows
from widgets.previous_chats_card import previous_chat_rows

NUMBER_LABELS = (("phone", "Phone"), ("id_number", "ID card"), ("bank_card", "Bank card"))  # tr() at use
CARD_WIDTH = 31  # the panel's 34 columns less its border and padding
ORDERS_SHOWN = 5
_MEASURING = Console(width=CARD_WIDTH, color_system=None, force_terminal=False)  # for wrapping only: never prints


class CustomerRow(Protocol):
    """local_cache.models.ChatSummary fits."""

    customer_name: str
    customer_title: str
    vip: bool
    channel: str
    priority: str
    tags: tuple[str, ...]


def customer_card(chat: CustomerRow, profile: dict, revealed: bool, note: str = "",
                  width: int = CARD_WIDTH, order: tuple[OrderShown, bool] | None = None,
                  previous: tuple = ((), 0, "")) -> Text:
    """Two columns, labels and values, each value wrapped under itself at `width` cells. Laid out by hand: a Rich
    Table.grid draws the same lines (tests/test_customer_card.py holds it as the reference) but took ~4 ms per
    card, a tenth of a chat switch."""
    whole_profile_unreadable = not isinstance(profile, dict)  # shown where the orders go
    if whole_profile_unreadable:
        profile = {}
    rows = [(tr("Customer"), _name(chat))]
    if chat.customer_title:
        rows.append((tr("Address as"), inert_text(chat.customer_title)))
    rows += [(tr("Channel"), inert_text(chat.channel)), (tr("Priority"), inert_text(tr(chat.priority))),
             (tr("Tags"), inert_text(", ".join(chat.tags) or "—"))]
    for key, label in NUMBER_LABELS:
        if profile.get(key):
            rows.append((tr(label), _value(profile[key], "bold red" if revealed else "")))
    if note:
        rows.append(("", inert_text(note, "italic")))
    if order is not None:  # the one the agent picked (alt+o), and whether it is this customer's own
        rows += order_rows(*order)
    orders = profile.get("orders") or []
    if whole_profile_unreadable or not isinstance(orders, list):
        rows += [("", Text()), (tr("Orders"), unreadable())]
    else:
        if orders or order is None:  # "none on record" under the order just picked would read as a contradiction
            rows += [("", Text()), (tr("Orders"), Text(tr("none on record"), style="dim") if not orders else Text())]
        rows += [("", _order_line(listed) if isinstance(listed, dict) else unreadable())
                 for listed in orders[:ORDERS_SHOWN]]
    rows += previous_chat_rows(*previous)  # (chats, total, key): the customer's other chats
    return _two_columns(rows, width)


def unreadable() -> Text:
    return Text(tr("unreadable"), style="dim italic")


def _readable(value) -> str | None:
    """Text or a number as text; anything else (a list, a mapping, true) has no place here."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _value(value, style: str = "") -> Text:
    readable = _readable(value)
    return unreadable() if readable is None else inert_text(readable, style)


def _name(chat: CustomerRow) -> Text:
    name = inert_text(chat.customer_name, "bold")
    if chat.vip:
        name.append(" VIP", style="bold yellow")
    return name


def _order_line(order: dict) -> Text:
    line = _value(order.get("id", ""), "bold")
    status = _readable(order.get("status", ""))
    # As the API spells it (refund_requested), in words the interface translates.
    shown = inert_text(f"  {tr(status.replace('_', ' '))}", "cyan") if status is not None else None
    line.append_text(shown if shown is not None else Text("  ").append_text(unreadable()))
    details = [_value(order[field], "dim") for field in ("item", "amount") if order.get(field) not in (None, "")]
    if details:
        line.append("\n")
        line.append_text(Text(" · ", style="dim").join(details))
    return line


def _two_columns(rows: list[tuple[str, Text]], width: int) -> Text:
    label_width = max(cell_len(label) for label, _ in rows)
    room = max(1, width - label_width - 1)
    card = Text(end="")
    for label, value in rows:
        for number, line in enumerate(value.wrap(_MEASURING, room, overflow="fold")):
            if card:
                card.append("\n")
            shown_label = label if number == 0 else ""
            card.append(shown_label + " " * (label_width - cell_len(shown_label)), style="dim")
            card.append(" ")
            card.append_text(line)
    return card


class CustomerPanel(Static):
    DEFAULT_CSS = """
    CustomerPanel { width: 34; height: 1fr; padding: 0 1; border-left: solid $panel-lighten-2; }
    """

    _shown = None
    _card: tuple = (None, {}, False, "", None, ((), 0, ""))

    def show(self, chat: CustomerRow | None, profile: dict, revealed: bool = False, note: str = "",
             order: tuple[OrderShown, bool] | None = None, previous: tuple = ((), 0, "")) -> None:
        """`order`: the order picked (alt+o) and whether it is this customer's; `previous`: (the customer's other
        chats, newest first; how many in all; the key that opens one)."""
        self._card = (chat, profile, revealed, note, order, previous)
        self._paint()

    def on_resize(self) -> None:
        self._paint()  # the card is wrapped to the panel's width

    def _paint(self) -> None:
        chat, profile, revealed, note, order, previous = self._card
        width = self.content_size.width or CARD_WIDTH
        shown = (chat and (chat.customer_name, chat.customer_title, chat.vip, chat.channel, chat.priority, chat.tags),
                 repr(profile), revealed, note, repr(order), width, repr(previous))
        if shown == self._shown:  # an update re-lays out the screen: not for every message that arrives
            return
        self._shown = shown
        # Its size is fixed by CSS (width 34, the full height), so its content never needs a screen layout.
        self.update("" if chat is None else customer_card(chat, profile, revealed, note, width, order, previous),
                    layout=False)
