"""The order the agent picked (alt+o), as rows of the customer panel: number and status, items, amount, shipping,
and the recipient, masked as the backend sends it unless the agent revealed the chat (f9).

Everything here came from a backend and was typed by a shop or a customer: inert, like the rest of the panel.
"""

from __future__ import annotations

from typing import Protocol, Sequence

from rich.text import Text

from widgets.i18n import tr
from widgets.inert_text import inert_text

ITEMS_SHOWN = 4  # the panel is 31 columns wide: the rest is counted, not listed


class OrderItemShown(Protocol):
    name: str
    quantity: int
    price: str


class OrderShown(Protocol):
    """local_cache.models.Order fits."""

    order_no: str
    status: str
    items: Sequence[OrderItemShown]
    amount: str
    currency: str
    carrier: str
    tracking_no: str
    recipient_name: str
    recipient_phone: str
    region: str
    address: str
    revealed: bool


def order_rows(order: OrderShown, own: bool) -> list[tuple[str, Text]]:
    """(label, value) rows for the customer panel's two columns. `own`: the order is this customer's."""
    heading = inert_text(order.order_no, "bold")
    heading.append_text(inert_text(f"  {tr(order.status.replace('_', ' '))}", "cyan"))
    rows = [("", Text()), (tr("Order"), heading)]
    if not own:
        # Looked up by the number the customer quoted: the agent must know before reading it out.
        rows.append(("", Text(tr("⚠ not this customer's"), style="bold yellow")))
    for item in order.items[:ITEMS_SHOWN]:
        rows.append(("", inert_text(f"{item.name} ×{item.quantity}  {item.price}", "dim")))
    if len(order.items) > ITEMS_SHOWN:
        rows.append(("", Text(tr("and {count} more", count=len(order.items) - ITEMS_SHOWN), style="dim")))
    rows.append((tr("Amount"), inert_text(f"{order.amount} {order.currency}".strip())))
    if order.carrier or order.tracking_no:
        rows.append((tr("Shipping"), inert_text(f"{order.carrier} {order.tracking_no}".strip())))
    personal = "bold red" if order.revealed else ""
    recipient = " ".join(part for part in (order.recipient_name, order.recipient_phone) if part)
    if recipient:
        rows.append((tr("Recipient"), inert_text(recipient, personal)))
    address = Text(" ").join(part for part in (inert_text(order.region), inert_text(order.address, personal))
                             if part.plain)
    if address.plain:
        rows.append((tr("Address"), address))
    return rows
