"""A form to create or edit a quick reply: title, shortcut, folder, tags and body, all from the keyboard.

The app passes `save`, which returns an error to show (the form stays open, nothing is lost) or None when
the reply was saved (the form closes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static, TextArea

from widgets.i18n import translate_bindings
from widgets.inert_text import InertHighlighter, InertLines, inert, inert_text

# What agents type between tags: ASCII or full-width commas, the enumeration comma 、, semicolons.
TAG_SEPARATORS = re.compile(r"[,，、;；]")


def split_tags(typed: str) -> tuple[str, ...]:
    """Tags as typed in a form or dialog: trimmed, empty ones dropped, each once, in the order typed."""
    return tuple(dict.fromkeys(tag.strip() for tag in TAG_SEPARATORS.split(typed) if tag.strip()))


@dataclass(frozen=True)
class ReplyDraft:
    title: str
    shortcut: str
    folder: str
    tags: tuple[str, ...]
    body: str


class ReplyBody(InertLines, TextArea):
    """The reply's text, drawn inert (a library file's body is data, whatever it holds)."""


class ReplyForm(ModalScreen[bool]):
    DEFAULT_CSS = """
    ReplyForm { align: center middle; }
    ReplyForm > Vertical { width: 80; height: auto; max-height: 95%; border: round $accent;
                           background: $surface; padding: 0 1; }
    ReplyForm Label { margin-top: 1; }
    ReplyForm TextArea { height: 8; }
    ReplyForm #error { color: $error; height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "dismiss(False)", "Cancel"),
    ]

    def __init__(self, heading: str, draft: ReplyDraft, save: Callable[[ReplyDraft], str | None]):
        super().__init__()
        translate_bindings(self)
        self._heading, self._draft, self._save = heading, draft, save

    def compose(self) -> ComposeResult:
        with Vertical():
            # The heading names the reply ("Edit “title”"): a Text, so its title is never read as markup.
            yield Static(inert_text(self._heading, "bold") + Text("   ctrl+s save · Esc cancel"))
            yield Label("Title 标题", markup=False)
            yield Input(self._draft.title, id="title", highlighter=InertHighlighter())
            yield Label("Shortcut 快捷码 (optional, typed as /code)", markup=False)
            yield Input(self._draft.shortcut, id="shortcut", restrict=r"/?[A-Za-z0-9_-]*",
                        highlighter=InertHighlighter())
            yield Label("Folder 文件夹", markup=False)
            yield Input(self._draft.folder, id="folder", highlighter=InertHighlighter())
            yield Label("Tags 标签 (comma-separated)", markup=False)
            yield Input(", ".join(self._draft.tags), id="tags", highlighter=InertHighlighter())
            yield Label("Text 正文 (placeholders: {customer.name|您}, {agent.name}, {order.id} …)", markup=False)
            yield ReplyBody(self._draft.body, id="body", soft_wrap=True)
            yield Static(id="error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def action_save(self) -> None:
        value = lambda name: self.query_one(f"#{name}", Input).value.strip()  # noqa: E731
        draft = ReplyDraft(
            title=value("title"),
            shortcut=value("shortcut").lstrip("/").lower(),
            folder=value("folder"),
            tags=split_tags(value("tags")),
            body=self.query_one("#body", ReplyBody).text.strip(),
        )
        error = self._save(draft)
        if error:
            self.query_one("#error", Static).update(inert(error))
        else:
            self.dismiss(True)
