"""One chat on screen: its header, transcript, rejected-item bar, findings strip and composer.

The main view and the split view's right-hand side are two instances. Each knows which chat it shows
(`chat_id`), so an action that concerns "this chat" asks the pane that has the focus, never a widget id. The
pane only shows what it is given: reading the store and talking to the backend stay in the console.
"""

from __future__ import annotations

from typing import Sequence

from textual.app import ComposeResult
from textual.widget import Widget

from widgets.chat_header import ChatHeader, HeaderChat
from widgets.composer import Composer
from widgets.findings_bar import FindingsBar
from widgets.layout_containers import Pane
from widgets.rejected_bar import RejectedBar
from widgets.transcript import Transcript, TranscriptItem


class ChatPane(Pane):
    DEFAULT_CSS = """
    ChatPane { width: 1fr; }
    ChatPane .transcript-box { height: 1fr; }
    ChatPane Transcript { height: 1fr; }
    ChatPane Composer { height: 5; border: round $panel-lighten-2; }
    ChatPane Composer:focus { border: round $accent; }
    /* Note mode: a heavier line in warning yellow, and the title says it (not the colour alone). */
    ChatPane Composer.note-mode, ChatPane Composer.note-mode:focus {
        border: heavy $warning; border-title-color: $warning; border-title-style: bold;
        border-subtitle-color: $warning;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.chat_id: str | None = None
        # Made here, not in compose, so that the console can wire them (and ask them) before the pane mounts.
        self.header = ChatHeader()
        self.transcript = Transcript()
        self.rejected_bar = RejectedBar()
        self.findings_bar = FindingsBar()
        self.composer = Composer()

    def compose(self) -> ComposeResult:
        yield self.header
        # In a container of its own: Textual renders every widget whose container overlaps a change, so a
        # keystroke in the composer below would otherwise re-render the transcript's visible rows too (~3 ms).
        with Pane(classes="transcript-box"):
            yield self.transcript
        yield self.rejected_bar
        yield self.findings_bar
        yield self.composer

    @staticmethod
    def of(widget: Widget | None) -> ChatPane | None:
        """The pane a widget belongs to (the focused one, a composer that posted a message), if any."""
        for node in widget.ancestors_with_self if widget is not None else ():
            if isinstance(node, ChatPane):
                return node
        return None

    def show_chat(self, chat: HeaderChat, entries: Sequence[TranscriptItem], customer_name: str,
                  agent_name: str) -> None:
        self.header.show(chat)
        self.show_transcript(entries, customer_name, agent_name)

    def show_transcript(self, entries: Sequence[TranscriptItem], customer_name: str, agent_name: str) -> None:
        self.transcript.show(entries, customer_name, agent_name)

    def show_rejected(self, text: str | None, reason: str = "", count: int = 0) -> None:
        self.rejected_bar.show(text, reason, count)

    def open(self, chat_id: str | None, draft: str = "", note: bool = False) -> None:
        """Show another chat: masked again (a reveal is for the chat it was asked for), with its draft in the
        mode it was typed in (a reply, or an internal note)."""
        self.chat_id = chat_id
        self.transcript.set_revealed(False)
        self.composer.set_note_mode(note)
        self.composer.load_text(draft)
        self.composer.move_cursor(self.composer.document.end)

    def on_composer_findings_changed(self, event: Composer.FindingsChanged) -> None:
        self.findings_bar.show(event.findings, event.composer.text)
