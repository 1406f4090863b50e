"""The quick-reply panel: a query line, results that refresh on every keystroke, a preview of the highlighted one.

The panel knows nothing about libraries: the app hands it a search function returning ReplyResults (and, to
browse with an empty query and preview filled text, two more callables). Enter picks the highlighted result;
Tab or space picks a result whose shortcut is exactly what was typed (so "/tk" then Tab works from an empty
composer); f3 edits and f8 deletes the highlighted reply; Esc closes.
"""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from quick_replies.reply_library_results import ReplyResult
from widgets.i18n import tr, translate_bindings
from widgets.inert_text import InertHighlighter, inert

FLAG_STYLES = {"error": "bold red", "warning": "yellow"}
UNFILLED_STYLE = "reverse yellow"  # a placeholder the agent must still fill in


def highlighted(text: str, positions: tuple[int, ...], style: str = "bold reverse") -> Text:
    """`text` made inert piece by piece, so `positions` (into the text as it came) still mark the right
    characters when a stand-in is longer than what it stands for."""
    return styled(text, dict.fromkeys(positions, style))


def styled(text: str, styles: dict[int, str]) -> Text:
    """`text` made inert, the character at each position of `styles` in its style."""
    line = Text()
    start = 0
    for position in sorted(position for position in styles if 0 <= position < len(text)):
        line.append(inert(text[start:position]))
        line.append(inert(text[position]), style=styles[position])
        start = position + 1
    line.append(inert(text[start:]))
    return line


class ReplyPanel(ModalScreen[tuple[str, str] | None]):
    """Dismisses with (action, key): ("insert" | "edit" | "delete", the result's key), or None.

    With an empty query the panel browses: `browse("")` lists recently used entries and folder rows; Enter or
    → opens the highlighted folder (`browse(folder key)` lists its entries), ← or backspace goes back. Typing
    searches the whole library, wherever the browsing was. `preview(key)` gives the text as inserting would
    put it in the composer, with the spans of placeholders still unfilled; without it the raw text is shown.
    """

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
        # Over the query line's own cursor keys, only while the query is empty (the actions skip otherwise).
        Binding("right", "open_folder", "Open folder", show=False, priority=True),
        Binding("left,backspace", "leave_folder", "Back", show=False, priority=True),
        Binding("f3", "pick('edit')", "Edit reply"),
        Binding("f8", "pick('delete')", "Delete reply"),
    ]

    def __init__(self, search: Callable[[str], list[ReplyResult]], query: str = "",
                 browse: Callable[[str], list[ReplyResult]] | None = None,
                 preview: Callable[[str], tuple[str, list[tuple[int, int]]] | None] | None = None):
        super().__init__()
        translate_bindings(self)
        self._search = search
        self._browse = browse
        self._preview = preview
        self._initial_query = query
        self._folder: ReplyResult | None = None  # the folder row opened by browsing, if any
        self._results: list[ReplyResult] = []
        self._rows: list[ReplyResult | None] = []  # one per option: a result, or None for a section heading

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

    def _refresh(self, query: str, highlight: str | None = None) -> None:
        browsing = not searched(query)
        if not browsing:
            self._results = self._search(query)
        elif self._browse is not None:
            self._results = self._browse(self._folder.key if self._folder else "")
        else:
            self._results = []
        options = self.query_one(OptionList)
        options.clear_options()
        self._rows = []
        section = ""
        for result in self._results:
            if result.section != section and result.section in SECTION_TITLES:
                self._rows.append(None)
                options.add_option(Option(Text(tr(SECTION_TITLES[result.section]), style="bold dim"),
                                          disabled=True))
            section = result.section
            self._rows.append(result)
            # No option ids: a folder and an entry, or two FAQ entries, may share a key; rows go by position.
            options.add_option(Option(self._row_text(result)))
        wanted = next((i for i, row in enumerate(self._rows) if row and row.key == highlight), None)
        first = next((i for i, row in enumerate(self._rows) if row is not None), None)
        options.highlighted = wanted if wanted is not None else first
        self.query_one("#count", Static).update(self._status_line(browsing))
        self._show_preview()

    def _row_text(self, result: ReplyResult) -> Text:
        if result.kind == "folder":
            line = Text("▸ ", style="bold")
            line.append(inert(result.title))
            line.append(f" ({result.count})", style="dim")
            if result.layer in LAYER_MARKS:
                line.append(f"  {tr(LAYER_MARKS[result.layer])}", style="italic dim")
            return line
        line = Text("FAQ " if result.kind == "faq" else "", style="bold magenta")
        line.append_text(highlighted(result.title, result.title_highlights))
        if result.shortcut:
            line.append(f"  /{result.shortcut}", style="dim")
        if result.flag_level:
            line.append("  ✗" if result.flag_level == "error" else "  !", style=FLAG_STYLES[result.flag_level])
        return line

    def _status_line(self, browsing: bool) -> Text:
        if not browsing:
            return Text(tr("{count} result(s)", count=len(self._results)))
        if self._folder is None:
            return Text(tr("type to search") if self._browse is None else tr("type to search · → opens a folder"))
        line = Text("▸ ")
        line.append(inert(self._folder.title), style="bold")
        shown = tr("{count} in this folder", count=self._folder.count) if len(self._results) >= self._folder.count \
            else tr("{shown} of {count} shown: type to search", shown=len(self._results), count=self._folder.count)
        line.append(f" · {shown} · {tr('← back')}")
        return line

    def _current(self) -> ReplyResult | None:
        highlighted_at = self.query_one(OptionList).highlighted
        return self._rows[highlighted_at] if highlighted_at is not None and highlighted_at < len(self._rows) \
            else None

    @on(OptionList.OptionHighlighted)
    def _show_preview(self, event=None) -> None:
        result = self._current()
        self.query_one("#preview", Static).update(self._preview_text(result) if result else Text())

    def _preview_text(self, result: ReplyResult) -> Text:
        if result.kind == "folder":
            return Text(tr("{count} in this folder", count=result.count), style="dim")
        shown = self._preview(result.key) if self._preview is not None else None
        text, unfilled = shown if shown is not None else (result.preview, [])
        # The search highlights are positions in the raw text: once anything is filled in they would mark the
        # wrong characters, so they are left out (the title's stay in the list).
        styles = dict.fromkeys(result.preview_highlights, "bold underline") if text == result.preview else {}
        for start, end in unfilled:
            styles.update(dict.fromkeys(range(start, end), UNFILLED_STYLE))  # as the composer will select it
        preview = styled(text, styles)
        if result.flag:
            preview.append("\n\n")
            preview.append(f"{'✗' if result.flag_level == 'error' else '!'} ", style=FLAG_STYLES[result.flag_level])
            preview.append(inert(result.flag), style=FLAG_STYLES[result.flag_level])
        return preview

    def _exact_shortcut(self, typed: str) -> ReplyResult | None:
        code = typed.lstrip("/").lower()
        return next((r for r in self._results if r.shortcut and r.shortcut == code), None)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if not self._results:
            return
        position = options.highlighted if options.highlighted is not None else -step
        for _ in self._rows:
            position = (position + step) % len(self._rows)
            if self._rows[position] is not None:  # a section heading is stepped over
                options.highlighted = position
                return

    def action_choose(self) -> None:
        self.action_pick("insert")

    def action_pick(self, action: str) -> None:
        result = self._current()
        if result is None:
            return
        if result.kind == "folder":
            if action == "insert":
                self._open(result)
            return
        self.dismiss((action, result.key))

    def _open(self, folder: ReplyResult) -> None:
        self._folder = folder
        self._refresh("")

    def action_open_folder(self) -> None:
        result = self._current()
        if searched(self.query_one(Input).value) or result is None or result.kind != "folder":
            raise SkipAction()  # the query line moves its cursor
        self._open(result)

    def action_leave_folder(self) -> None:
        if self._folder is None or searched(self.query_one(Input).value):
            raise SkipAction()  # the query line moves its cursor or deletes
        left, self._folder = self._folder, None
        self._refresh("", highlight=left.key)

    def action_expand_shortcut(self) -> None:
        exact = self._exact_shortcut(self.query_one(Input).value.strip())
        if exact is not None:
            self.dismiss(("insert", exact.key))
        else:
            self.action_choose()

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        result = self._rows[event.option_index] if event.option_index < len(self._rows) else None
        if result is not None and result.kind == "folder":
            self._open(result)
        elif result is not None:
            self.dismiss(("insert", result.key))


def searched(query: str) -> bool:
    """Whether the query line holds something to search for: the "/" that opened the panel from the composer
    is not, so the panel browses until a term follows it."""
    return bool(query.strip().lstrip("/").strip())


SECTION_TITLES = {"recent": "Recently used", "folders": "Folders"}
LAYER_MARKS = {0: "starter", 1: "team", 2: "mine"}
