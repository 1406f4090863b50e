"""The customer panel beside the conversation: who the customer is, their orders, the order the agent picked
(alt+o), and a logged reveal.

Personal numbers are cached masked (as the server sends them). A reveal (f9, with the transcript's) asks the
backend for the clear profile once, and for the picked order's recipient in clear, and shows them until another
chat opens; they are never written to disk, and they need the backend: offline, the panel says so and stays
masked. An order the customer quoted that belongs to another customer is never shown in clear.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable

from local_cache.backend_client import BackendClient, BackendError
from local_cache.models import ChatSummary, Order
from local_cache.store import LocalStore
from quick_replies.pii import mask_all
from widgets.customer_panel import CustomerPanel
from widgets.i18n import tr

PREVIOUS_SHOWN = 5
CUT_NUMBER = re.compile(r"(?<![0-9])[0-9]{7,}$")


def masked_cut_text(text: str) -> str:
    """Personal data masked, and a number cut off at the end of a preview too (it may be a card's start)."""
    return CUT_NUMBER.sub(lambda m: m.group()[:3] + "*" * (len(m.group()) - 3), mask_all(text))


class CustomerDetails:
    def __init__(self, panel: CustomerPanel, store: LocalStore, open_client: Callable[[], BackendClient],
                 picked_order: Callable[[str], Order | None]) -> None:
        self.panel = panel
        self._store = store
        self._open_client = open_client
        self._picked_order = picked_order  # chat id -> the order the agent picked for it (alt+o), if any
        self.clear_profile: tuple[str, dict] | None = None  # (chat id, profile in clear) while a reveal lasts
        self._clear_order: Order | None = None  # the picked order in clear, while its chat's reveal lasts
        self._note = ""
        self.previous_key = ""  # the key that opens one of the customer's previous chats, as the footer writes it

    def show(self, chat: ChatSummary | None) -> None:
        if chat is None or not self.panel.display:
            return
        order = self._order_shown(chat.id)
        previous = self.previous_chats(chat)
        if self.clear_profile and self.clear_profile[0] == chat.id:
            self.panel.show(chat, self.clear_profile[1], revealed=True, note=self._note, order=order,
                            previous=previous)
        else:
            self.panel.show(chat, self._store.chats.customer_profile(chat.id), note=self._note, order=order,
                            previous=previous)

    def _order_shown(self, chat_id: str) -> tuple[Order, bool] | None:
        order = self._picked_order(chat_id)
        if order is None:
            return None
        clear = self._clear_order
        if self.clear_profile and self.clear_profile[0] == chat_id and clear and clear.order_no == order.order_no:
            order = clear
        return order, order.chat_id == chat_id

    def previous_chats(self, chat: ChatSummary) -> tuple:
        """The customer's other chats for the panel, newest first, their last message masked (the panel is not
        where a reveal shows old chats in clear)."""
        found = self._store.chats.previous_chats(chat.customer_id, chat.id, PREVIOUS_SHOWN)
        chats = [replace(row, last_message_preview=masked_cut_text(row.last_message_preview)) for row in found.chats]
        return (chats, found.total, self.previous_key)

    def conceal(self) -> None:
        """A reveal lasts while its chat stays open."""
        self.clear_profile, self._clear_order, self._note = None, None, ""

    async def fetch_clear_profile(self, chat_id: str, still_wanted: Callable[[], ChatSummary | None]) -> None:
        """Run as a worker. `still_wanted` is asked once the backend answers (the agent may have moved on or
        masked it again): the chat as it is now, or None."""
        picked = self._picked_order(chat_id)
        clear_order = None
        client = self._open_client()
        try:
            profile = await client.customer_profile(chat_id)
            if picked is not None and picked.chat_id == chat_id:  # another customer's order stays masked
                clear_order = next((order for order in await client.customer_orders(chat_id, revealed=True)
                                    if order.order_no == picked.order_no), None)
        except BackendError as error:
            self._note = tr("Clear numbers need the backend ({error}); still masked.", error=error)
            profile = None
        finally:
            await client.aclose()
        chat = still_wanted()
        if chat is not None:
            if profile is not None:
                self.clear_profile, self._note = (chat_id, profile), tr("Shown in clear (logged)")
                self._clear_order = clear_order
            self.show(chat)
