"""Split view: a second chat beside the first, with its own transcript and composer (ctrl+\\ toggles).

Turning it on moves the open chat to the right-hand pane and opens the next one on the left, so two
conversations are in view; the list keeps driving the left pane. Opening on the left the chat shown on the
right swaps the two. Sending, drafts, the linter, quick replies and chat actions follow the pane with the
focus. A mixin of the App.
"""

from __future__ import annotations

from textual.binding import Binding

from widgets.chat_header import ChatHeader
from widgets.composer import Composer
from widgets.i18n import tr

SPLIT_BINDINGS = [
    Binding("ctrl+backslash", "toggle_split", "Split", id="toggle_split", show=False),
]


class SplitActions:
    side_chat_id: str | None = None

    @property
    def active_chat_id(self) -> str | None:
        """The chat the agent is working on: the right-hand pane's while the focus is in it."""
        return self.side_chat_id if self._focus_in_side_pane() else self.current_chat_id

    def active_composer(self) -> Composer:
        return self.query_one("#side-composer" if self._focus_in_side_pane() else "#composer", Composer)

    def chat_of_composer(self, composer: Composer) -> str | None:
        return self.side_chat_id if composer.id == "side-composer" else self.current_chat_id

    def _focus_in_side_pane(self) -> bool:
        if self.side_chat_id is None or self.focused is None:
            return False
        return self.query_one("#side-pane") in self.focused.ancestors_with_self

    def action_toggle_split(self) -> None:
        pane = self.query_one("#side-pane")
        if self.side_chat_id is not None:
            self.save_side_draft()
            self.side_chat_id = None
            pane.display = False
            self.query_one("#composer", Composer).focus()
            return
        chat_ids = self.query_one("#chat-list").chat_ids
        if self.current_chat_id is None or len(chat_ids) < 2:
            self.notify(tr("Split view needs two chats."), severity="warning")
            return
        pinned = self.current_chat_id
        position = chat_ids.index(pinned)
        self.show_chat(chat_ids[(position + 1) % len(chat_ids)])
        pane.display = True
        self.show_side_chat(pinned)
        self.query_one("#side-composer", Composer).focus()

    def show_side_chat(self, chat_id: str) -> None:
        chat = self.chats.get(chat_id)
        if chat is None:
            return
        composer = self.query_one("#side-composer", Composer)
        if chat_id != self.side_chat_id:
            self.save_side_draft()
            self.side_chat_id = chat_id
            composer.load_text(self.store.drafts.get(chat_id))
            composer.move_cursor(composer.document.end)
        self.query_one("#side-header", ChatHeader).show(chat)
        self.show_rejected(chat_id, "#side-rejected")
        self.show_transcript(chat_id, "#side-transcript")

    def save_side_draft(self) -> None:
        if self.side_chat_id is not None:
            self.store.drafts.save(self.side_chat_id, self.query_one("#side-composer", Composer).text)
