"""The customer's orders in the chat: alt+o lists them (from the backend); the one the agent picks is shown in the
customer panel and fills the quick replies' {order.id}, {order.tracking}, {order.carrier}, {order.status} and
{order.amount} for that chat.

Order numbers the customer wrote in the chat (DD…, long digit runs after 订单/order) come first, newest mention
first and marked as quoted, looked up by number when they are not among the customer's own orders.

Orders come masked (the recipient's name, phone and street), as the customer panel's numbers do; f9 shows the
picked one in clear (console/customer_details.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from local_cache.backend_client import BackendClient, BackendError
from local_cache.models import Order
from quick_replies.order_numbers import find_order_numbers
from widgets.i18n import tr
from widgets.screens.prompts import ChoiceScreen

if TYPE_CHECKING:
    from console.chat_desk import ChatDesk

MAX_LISTED = 9  # one digit picks one


def order_label(order: Order) -> str:
    shipped = f" · {order.carrier} {order.tracking_no}".rstrip() if order.carrier or order.tracking_no else ""
    return f"{order.order_no} · {order.status} · {order.amount} {order.currency}{shipped}"


def order_values(order: Order) -> dict[str, str]:
    return {"order.id": order.order_no, "order.tracking": order.tracking_no, "order.carrier": order.carrier,
            "order.status": order.status, "order.amount": f"{order.amount} {order.currency}".strip()}


class OrderActions:
    def __init__(self, desk: ChatDesk, open_client: Callable[[], BackendClient]) -> None:
        self._desk = desk
        self._open_client = open_client
        self.chosen: dict[str, Order] = {}  # chat id -> the order the agent picked for it

    def placeholder_values(self, chat_id: str | None) -> dict[str, str]:
        order = self.chosen.get(chat_id) if chat_id else None
        return order_values(order) if order is not None else {}

    def choose(self) -> None:
        chat_id = self._desk.active_chat_id
        if chat_id is None:
            self._desk.notify(tr("Pick a chat first."), severity="warning")
            return
        self._desk.run_worker(self._list_orders(chat_id), group="orders", exclusive=True)

    def quoted_numbers(self, chat_id: str) -> list[str]:
        """Order numbers in the customer's messages, the latest mention first."""
        entries = self._desk.services.transcripts.entries(chat_id)
        numbers = [mention.number for entry in reversed(entries) if entry.author == "customer"
                   for mention in reversed(find_order_numbers(entry.text))]
        return list(dict.fromkeys(numbers))

    async def _list_orders(self, chat_id: str) -> None:
        quoted = self.quoted_numbers(chat_id)
        client = self._open_client()
        try:
            orders = await client.customer_orders(chat_id)
            own = {order.order_no for order in orders}
            for number in quoted[:MAX_LISTED]:
                if number not in own and (found := await client.order(number)) is not None:
                    orders.append(found)
        except BackendError as error:
            self._desk.notify(tr("Orders need the backend ({error}).", error=error), severity="warning",
                              markup=False)
            return
        finally:
            await client.aclose()
        chat = self._desk.chats.get(chat_id)
        name = chat.customer_name if chat else chat_id
        if not orders:
            self._desk.notify(tr("No orders on record for {name}.", name=name), markup=False)
            return
        rank = {number: place for place, number in enumerate(quoted)}
        listed = sorted(orders, key=lambda order: rank.get(order.order_no, len(rank)))[:MAX_LISTED]
        by_key = {str(number): order for number, order in enumerate(listed, 1)}

        def chosen(key: str | None) -> None:
            if key in by_key:
                self.chosen[chat_id] = by_key[key]
                self._desk.show_picked_order(chat_id)
                self._desk.notify(tr("Order {number} fills {{order.id}} and the rest for {name}.",
                                     number=by_key[key].order_no, name=name), markup=False)

        self._desk.app.push_screen(ChoiceScreen(tr("Orders of {name}:", name=name),
                                                [(key, key, order_label(order) + (tr("  (quoted)") if
                                                  order.order_no in rank else "")) for key, order in by_key.items()],
                                                stacked=True), chosen)
