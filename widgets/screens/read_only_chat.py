"""A chat shown read-only: a closed chat the agent opened from history search or the customer's previous chats.

The transcript is the desk's own Transcript; the composer under it is disabled, and its header says why, so
nothing typed here can go to that customer. Esc returns to where the agent was.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from widgets.chat_header import ChatHeader, HeaderChat
from widgets.composer import Composer
from widgets.i18n import tr, translate_bindings
from widgets.inert_text import inert
from widgets.transcript import Transcript, TranscriptItem


def read_only_title(state: str, created_at: float) -> str:
    day = datetime.fromtimestamp(created_at).strftime("%Y-%m-%d")
    if state == "closed":
        return tr("Read-only · closed chat of {date}", date=day)
    return tr("Read-only · chat of {date} ({state})", date=day, state=tr(state.replace("_", " ")))


class ReadOnlyChatScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    ReadOnlyChatScreen { align: center middle; }
    ReadOnlyChatScreen > Vertical {
        width: 90%; max-width: 130; height: 90%; border: round $warning; background: $surface;
    }
    ReadOnlyChatScreen #read-only-title { width: 100%; padding: 0 1; background: $warning 30%; text-style: bold; }
    ReadOnlyChatScreen #read-only-missing { width: 100%; padding: 1 2; color: $text-muted; }
    ReadOnlyChatScreen Transcript { height: 1fr; }
    ReadOnlyChatScreen Composer { height: 3; border: round $panel-lighten-2; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Back")]

    def __init__(self, chat: HeaderChat, created_at: float, entries: Sequence[TranscriptItem], agent_name: str,
                 mask: Callable[[str], str] | None, revealed: bool = False, at_message: str | None = None) -> None:
        """`entries`: the chat's messages as the store holds them (empty: none were ever pulled, and this says
        so; nothing is fetched). `at_message`: the message to bring into view and mark."""
        super().__init__()
        translate_bindings(self)
        self.chat = chat
        self.title_text = read_only_title(chat.state, created_at)
        self._entries, self._agent_name, self._at_message = list(entries), agent_name, at_message
        self.header = ChatHeader()
        self.transcript = Transcript()
        self.transcript.mask = mask
        self.transcript.revealed = revealed
        self.composer = Composer(disabled=True)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(inert(self.title_text) + tr("   (Esc returns)"), id="read-only-title", markup=False)
            yield self.header
            if not self._entries:
                yield Label(tr("This chat's messages are not in the local store; nothing was fetched."),
                            id="read-only-missing", markup=False)
            yield self.transcript
            yield self.composer

    def on_mount(self) -> None:
        self.header.show(self.chat)
        self.composer.border_title = Text(self.title_text)
        self.transcript.show(self._entries, self.chat.customer_name, self._agent_name)
        self.transcript.focus()  # pgup/pgdn, home/end read it; the composer takes no keys
        if self._at_message is not None:
            self.call_after_refresh(self.transcript.scroll_to_message, self._at_message)
