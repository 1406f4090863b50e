"""History search (alt+h) and a customer's previous chats (alt+v): finding old messages and opening old chats.

The search is store.history.search on a connection of its own (searches run in worker threads; the desk's
connection stays the interface thread's), one at a time. A hit in a chat the list shows opens that chat there and
scrolls to the message; any other (a closed chat) opens read-only, as a previous chat does. Read-only chats are
shown from the local store only: one whose messages were never pulled says so, and nothing is fetched.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING

from local_cache.history_search import HistoryHit
from local_cache.store import LocalStore
from quick_replies.pii import mask_all
from widgets.i18n import tr
from widgets.screens.history_search import HistorySearchScreen
from widgets.screens.prompts import ChoiceScreen
from widgets.screens.read_only_chat import ReadOnlyChatScreen

if TYPE_CHECKING:
    from console.chat_desk import ChatDesk

RESULTS = 50
PREVIOUS_LISTED = 9  # one digit picks one


class HistoryActions:
    def __init__(self, desk: ChatDesk) -> None:
        self._desk = desk
        self._reader: LocalStore | None = None  # the searches' own connection, opened at the first search
        self._reading = threading.Lock()

    def open_search(self) -> None:
        self._desk.app.push_screen(HistorySearchScreen(self.search), self._hit_chosen)

    def search(self, query: str) -> list[HistoryHit]:
        """Called in a worker thread. Masked as everywhere, except in chats the agent has revealed (f9, logged)."""
        revealed = frozenset(pane.chat_id for pane in self._desk.panes
                             if pane.chat_id is not None and pane.transcript.revealed)
        with self._reading:
            if self._reader is None:
                store = self._desk.store
                self._reader = LocalStore(store.path, store.clock)
            return self._reader.history.search(query, RESULTS, revealed_chats=revealed)

    def close(self) -> None:
        with self._reading:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    def _hit_chosen(self, hit: HistoryHit | None) -> None:
        if hit is None:
            return
        desk = self._desk
        if hit.chat_id in desk.chat_list.chat_ids:
            desk.show_chat(hit.chat_id)
            desk.call_after_refresh(self._scroll_to, hit.message_id)
        else:
            self.open_read_only(hit.chat_id, at_message=hit.message_id)

    def _scroll_to(self, message_id: str) -> None:
        if not self._desk.main_pane.transcript.scroll_to_message(message_id):
            self._desk.notify(tr("That message is no longer in this chat's transcript."), severity="warning")

    def choose_previous_chat(self) -> None:
        """The open chat's customer's other chats, newest first: a digit opens one read-only."""
        desk = self._desk
        chat = desk.chats.get(desk.current_chat_id) if desk.current_chat_id else None
        if chat is None:
            desk.notify(tr("Pick a chat first."), severity="warning")
            return
        found = desk.store.chats.previous_chats(chat.customer_id, chat.id, PREVIOUS_LISTED)
        if not found.chats:
            desk.notify(tr("No previous chats of {name} in the local store.", name=chat.customer_name), markup=False)
            return
        choices = []
        for number, previous in enumerate(found.chats, start=1):
            day = datetime.fromtimestamp(previous.created_at).strftime("%Y-%m-%d %H:%M")
            preview = mask_all(previous.last_message_preview)
            choices.append((str(number), previous.id,
                            f"{day} · {tr(previous.state.replace('_', ' '))} · {preview}"))
        question = tr("Previous chats of {name} (read-only):", name=chat.customer_name)
        desk.app.push_screen(ChoiceScreen(question, choices, stacked=True),
                             lambda chat_id: chat_id and self.open_read_only(chat_id))

    def open_read_only(self, chat_id: str, at_message: str | None = None) -> None:
        desk = self._desk
        summary = next(iter(desk.store.chats.summaries([chat_id])), None)
        if summary is None:
            desk.notify(tr("That chat is not in the local store."), severity="warning")
            return
        revealed = any(pane.chat_id == chat_id and pane.transcript.revealed for pane in desk.panes)
        entries = desk.store.chats.transcript(chat_id)
        desk.app.push_screen(ReadOnlyChatScreen(summary, summary.created_at, entries, desk.agent_name, mask_all,
                                                revealed=revealed, at_message=at_message))
