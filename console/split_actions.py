"""Split view: a second chat beside the first, in a second ChatPane (ctrl+\\ toggles).

Turning it on moves the open chat to the right-hand pane and opens the next one on the left, so two
conversations are in view; the list keeps driving the left pane. Opening on the left the chat shown on the
right swaps the two. Sending, drafts, the linter, quick replies and chat actions act on the pane with the
focus (`active_pane`). A mixin of the App.
"""

from __future__ import annotations

from widgets.chat_list import ChatList
from widgets.chat_pane import ChatPane
from widgets.i18n import tr


class SplitActions:
    main_pane: ChatPane
    side_pane: ChatPane

    @property
    def panes(self) -> tuple[ChatPane, ChatPane]:
        return self.main_pane, self.side_pane

    @property
    def current_chat_id(self) -> str | None:
        """The chat in the main (left-hand) pane: the one the chat list drives."""
        return self.main_pane.chat_id

    @property
    def side_chat_id(self) -> str | None:
        """The chat in the split view's right-hand pane; None while the view is not split."""
        return self.side_pane.chat_id

    @property
    def active_pane(self) -> ChatPane:
        """The pane the agent is working in: the right-hand one while the focus is in it."""
        focused = ChatPane.of(self.focused)
        return focused if focused is self.side_pane and self.side_chat_id is not None else self.main_pane

    @property
    def active_chat_id(self) -> str | None:
        return self.active_pane.chat_id

    def action_toggle_split(self) -> None:
        side = self.side_pane
        if side.chat_id is not None:
            self.open_in_pane(side, None)
            side.display = False
            self.main_pane.composer.focus()
            return
        chat_ids = self.query_one(ChatList).chat_ids
        if self.current_chat_id is None or len(chat_ids) < 2:
            self.notify(tr("Split view needs two chats."), severity="warning")
            return
        pinned = self.current_chat_id
        position = chat_ids.index(pinned)
        self.show_chat(chat_ids[(position + 1) % len(chat_ids)])
        side.display = True
        self.show_side_chat(pinned)
        side.composer.focus()

    def show_side_chat(self, chat_id: str) -> None:
        if chat_id in self.chats:
            self.open_in_pane(self.side_pane, chat_id)
            self.show_pane(self.side_pane)
