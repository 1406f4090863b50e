"""Drafts per chat: switching chats keeps each chat's unsent text, and a restart (or a crash) brings it back.

The composer's text is saved to the store when the agent leaves a chat, on exit, and half a second after the last
edit (so a killed console loses at most that). A mixin of the App; handlers use the naming convention.
"""

from __future__ import annotations

from textual.widgets import TextArea

from widgets.composer import Composer

DRAFT_SAVE_DELAY = 0.5  # seconds after the last keystroke: one write per pause in typing, not per key


class DraftActions:
    _draft_timer = None

    @property
    def _unsaved(self) -> dict[str, str]:
        """Chat id -> composer text not yet in the store (either pane's composer); one dict per app."""
        return self.__dict__.setdefault("_unsaved_drafts", {})

    def switch_draft(self, leaving: str | None, opening: str) -> None:
        composer = self.query_one("#composer", Composer)
        if leaving is not None:
            self._unsaved[leaving] = composer.text
            self.save_current_draft()
        composer.load_text(self.store.drafts.get(opening))
        composer.move_cursor(composer.document.end)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        chat_id = self.chat_of_composer(event.text_area) if isinstance(event.text_area, Composer) else None
        if chat_id is None:
            return
        self._unsaved[chat_id] = event.text_area.text
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_SAVE_DELAY, self.save_current_draft)

    def save_current_draft(self) -> None:
        """Write the texts last seen in the composers (also called on exit, when the composers are gone)."""
        if self.store is not None:
            while self._unsaved:
                chat_id, text = self._unsaved.popitem()
                self.store.drafts.save(chat_id, text)
