"""Drafts per chat: switching chats keeps each chat's unsent text, and a restart (or a crash) brings it back.

A pane's composer text is saved to the store when its pane opens another chat, on exit, and half a second after
the last edit (so a killed console loses at most that). The composer's mode goes with it: a note half typed in
one chat is still a note when the agent comes back to it, and never turns into a reply on the way.
"""

from __future__ import annotations

from typing import Callable

from local_cache.store import LocalStore
from widgets.chat_pane import ChatPane

DRAFT_SAVE_DELAY = 0.5  # seconds after the last keystroke: one write per pause in typing, not per key


class DraftKeeper:
    def __init__(self, store: LocalStore, panes: tuple[ChatPane, ...], set_timer: Callable) -> None:
        self._store = store
        self._panes = panes
        self._set_timer = set_timer  # the desk's: the timer stops with the screen
        # chat id -> composer text and note mode not yet in the store (either pane's)
        self._unsaved: dict[str, tuple[str, bool]] = {}
        self._timer = None

    def open_in_pane(self, pane: ChatPane, chat_id: str | None) -> None:
        """The pane shows another chat (or none): the text typed for the one it leaves is kept for it."""
        if chat_id == pane.chat_id:
            return
        if pane.chat_id is not None:
            self._unsaved[pane.chat_id] = (pane.composer.text, pane.composer.note_mode)
            self.save_unsaved()
        draft = self._store.drafts.draft(chat_id) if chat_id is not None else None
        pane.open(chat_id, draft.text if draft else "", note=draft.note if draft else False)

    def forget_sent_text(self, chat_id: str, text: str, sent_from: ChatPane) -> None:
        """The text just queued leaves its chat's composer and its saved draft at once (a crash in the next half
        second would otherwise bring it back, ready to be sent twice), wherever the chat is shown by now.

        A composer that added a note goes back to reply mode: the next thing typed is most likely the answer the
        customer is waiting for, and a reply typed in a mode left over from the note would never reach them (while
        their reply timer runs on). Note mode is chosen for each note, with its own key."""
        shown = [pane for pane in self._panes if pane.chat_id == chat_id]
        cleared = [pane for pane in shown if pane is sent_from or pane.composer.text == text]
        for pane in cleared:
            pane.composer.clear()
            pane.composer.set_note_mode(False)
        kept = self._unsaved.get(chat_id) or self._store.drafts.draft(chat_id)
        if cleared or not shown and kept[0] == text:
            self._unsaved.pop(chat_id, None)
            self._store.drafts.save(chat_id, "")

    def edited(self, chat_id: str, text: str, note: bool = False) -> None:
        self._unsaved[chat_id] = (text, note)
        if self._timer is not None:
            self._timer.stop()
        self._timer = self._set_timer(DRAFT_SAVE_DELAY, self.save_unsaved)

    def save_unsaved(self) -> None:
        """Write the texts last seen in the composers (also called on exit, when the composers are gone)."""
        while self._unsaved:
            chat_id, (text, note) = self._unsaved.popitem()
            self._store.drafts.save(chat_id, text, note)
