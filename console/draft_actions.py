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
        pane.chat_id = chat_id
        if chat_id is not None:
            pane.load_draft(self.store.drafts.get(chat_id))

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
