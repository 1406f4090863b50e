"""Drafts per chat: switching chats keeps each chat's unsent text, and a restart (or a crash) brings it back.

A pane's composer text is saved to the store when its pane opens another chat, on exit, and half a second after
the last edit (so a killed console loses at most that). A mixin of the App; handlers use the naming convention.
"""

from __future__ import annotations

from textual.widgets import TextArea

from widgets.chat_pane import ChatPane
from widgets.composer import Composer

DRAFT_SAVE_DELAY = 0.5  # seconds after the last keystroke: one write per pause in typing, not per key


class DraftActions:
    _draft_timer = None

    @property
    def _unsaved(self) -> dict[str, str]:
        """Chat id -> composer text not yet in the store (either pane's composer); one dict per app."""
        return self.__dict__.setdefault("_unsaved_drafts", {})

    def open_in_pane(self, pane: ChatPane, chat_id: str | None) -> None:
        """The pane shows another chat (or none): the text typed for the one it leaves is kept for it."""
        if chat_id == pane.chat_id:
            return
        if pane.chat_id is not None:
            self._unsaved[pane.chat_id] = pane.composer.text
            self.save_unsaved_drafts()
        pane.open(chat_id, self.store.drafts.get(chat_id) if chat_id is not None else "")

    def forget_sent_text(self, chat_id: str, text: str, sent_from: ChatPane) -> None:
        """The text just queued leaves its chat's composer and its saved draft at once (a crash in the next half
        second would otherwise bring it back, ready to be sent twice), wherever the chat is shown by now."""
        shown = [pane for pane in self.panes if pane.chat_id == chat_id]
        cleared = [pane for pane in shown if pane is sent_from or pane.composer.text == text]
        for pane in cleared:
            pane.composer.clear()
        if cleared or not shown and self._unsaved.get(chat_id, self.store.drafts.get(chat_id)) == text:
            self._unsaved.pop(chat_id, None)
            self.store.drafts.save(chat_id, "")

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        pane = ChatPane.of(event.text_area) if isinstance(event.text_area, Composer) else None
        if pane is None or pane.chat_id is None:
            return
        self._unsaved[pane.chat_id] = event.text_area.text
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_SAVE_DELAY, self.save_unsaved_drafts)

    def save_unsaved_drafts(self) -> None:
        """Write the texts last seen in the composers (also called on exit, when the composers are gone)."""
        if self.store is not None:
            while self._unsaved:
                chat_id, text = self._unsaved.popitem()
                self.store.drafts.save(chat_id, text)
