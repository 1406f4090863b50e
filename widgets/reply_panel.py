"""The quick-reply panel: a query line, results that refresh on every keystroke, a preview of the highlighted one.

The panel knows nothing about libraries: the app hands it a search function returning ReplyResults. Enter
picks the highlighted result; Tab or space picks a result whose shortcut is exactly what was typed (so
"/tk" then Tab works from an empty composer); f3 edits and f8 deletes the highlighted reply; Esc closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from widgets.i18n import tr, translate_bindings
from widgets.inert_text import InertHighlighter, inert


@dataclass(frozen=True)
class ReplyResult:
    key: str
    kind: str  # reply | faq
    title: str
    preview: str
    shortcut: str = ""
    title_highlights: tuple[int, ...] = ()
    preview_highlights: tuple[int, ...] = ()
    flag_level: str = ""  # the phrase linter's worst finding in the text: error | warning | ""
    flag: str = ""  # its message


FLAG_STYLES = {"error": "bold red", "warning": "yellow"}


def highlighted(text: str, positions: tuple[int, ...], style: str = "bold reverse") -> Text:
    """`text` made inert piece by piece, so `positions` (into the text as it came) still mark the right
    characters when a stand-in is longer than what it stands for."""
    line = Text()
    start = 0
    for position in sorted({position for position in positions if 0 <= position < len(text)}):
        line.append(inert(text[start:position]))
        line.append(inert(text[position]), style=style)
        start = position + 1
    line.append(inert(text[start:]))
    return line


class ReplyPanel(ModalScreen[tuple[str, str] | None]):
    """Dismisses with (action, key): ("insert" | "edit" | "delete", the result's key), or None."""

    DEFAULT_CSS = """
    ReplyPanel { align: center middle; }
    ReplyPanel > Vertical { width: 90%; height: 80%; border: round $accent; background: $surface; }
    ReplyPanel Input { margin: 0 1; }
    ReplyPanel Horizontal { height: 1fr; }
    ReplyPanel OptionList { width: 1fr; border: none; }
    ReplyPanel #preview { width: 1fr; padding: 0 1; border-left: solid $panel-lighten-2; }
    ReplyPanel #count { height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("enter", "choose", "Insert", priority=True),
        Binding("tab", "expand_shortcut", "Expand shortcut", priority=True),
        Binding("f3", "pick('edit')", "Edit reply"),
        Binding("f8", "pick('delete')", "Delete reply"),
    ]

    def __init__(self, search: Callable[[str], list[ReplyResult]], query: str = ""):
        super().__init__()
        translate_bindings(self)
        self._search = search
        self._initial_query = query
        self._results: list[ReplyResult] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            # select_on_focus off: the "/" typed in the composer stays, and what follows is appended to it.
            yield Input(value=self._initial_query, select_on_focus=False, highlighter=InertHighlighter(),
                        placeholder="搜索快捷语和知识库 · search replies and FAQ (pinyin, initials, /shortcut, a+b)")
            yield Static(id="count")
            with Horizontal():
                yield OptionList(id="results")
                yield Static(id="preview")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self._refresh(self._initial_query)

    @on(Input.Changed)
    def _query_changed(self, event: Input.Changed) -> None:
        value = event.value
        if value.endswith(" ") and self._exact_shortcut(value.strip()):
            self.dismiss(("insert", self._exact_shortcut(value.strip()).key))  # "/tk" + space, like Tab
            return
        self._refresh(value)

    def _refresh(self, query: str) -> None:
        self._results = self._search(query) if query.strip() else []
        options = self.query_one(OptionList)
        options.clear_options()
        for result in self._results:
            line = Text("FAQ " if result.kind == "faq" else "", style="bold magenta")
            line.append_text(highlighted(result.title, result.title_highlights))
            if result.shortcut:
                line.append(f"  /{result.shortcut}", style="dim")
            if result.flag_level:
                line.append("  ✗" if result.flag_level == "error" else "  !", style=FLAG_STYLES[result.flag_level])
            options.add_option(Option(line, id=result.key))
        if self._results:
            options.highlighted = 0
        count = tr("{count} result(s)", count=len(self._results)) if query.strip() else tr("type to search")
        self.query_one("#count", Static).update(count)
        self._show_preview()

    @on(OptionList.OptionHighlighted)
    def _show_preview(self, event=None) -> None:
        options = self.query_one(OptionList)
        result = self._results[options.highlighted] if self._results and options.highlighted is not None else None
        preview = highlighted(result.preview, result.preview_highlights, "bold underline") if result else Text()
        if result and result.flag:
            preview.append("\n\n")
            preview.append(f"{'✗' if result.flag_level == 'error' else '!'} ", style=FLAG_STYLES[result.flag_level])
            preview.append(inert(result.flag), style=FLAG_STYLES[result.flag_level])
        self.query_one("#preview", Static).update(preview)

    def _exact_shortcut(self, typed: str) -> ReplyResult | None:
        code = typed.lstrip("/").lower()
        return next((r for r in self._results if r.shortcut and r.shortcut == code), None)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if self._results:
            options.highlighted = ((options.highlighted or 0) + step) % len(self._results)

    def action_choose(self) -> None:
        self.action_pick("insert")

    def action_pick(self, action: str) -> None:
        options = self.query_one(OptionList)
        if self._results and options.highlighted is not None:
            self.dismiss((action, self._results[options.highlighted].key))

    def action_expand_shortcut(self) -> None:
        exact = self._exact_shortcut(self.query_one(Input).value.strip())
        if exact is not None:
            self.dismiss(("insert", exact.key))
        else:
            self.action_choose()

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(("insert", event.option.id))
