"""History search (alt+h): every message in the local store, open and closed chats, as the agent types.

The screen only shows: the search itself is a function the console hands it (a store call), run in a worker
thread a moment after the last keystroke. Each answer carries the number of the query it answers, and only the
newest query's answer is shown: a slow search never puts its list over a newer query's. Enter dismisses with the
highlighted hit; the console opens its chat there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Protocol, Sequence

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from widgets.i18n import tr, translate_bindings
from widgets.inert_text import InertHighlighter, inert

DEBOUNCE_SECONDS = 0.15  # a search per pause in typing, not per keystroke (an input method commits in bursts)
CONTEXT_CHARS = 24  # shown before the first match, so it stays in view on one line
SNIPPET_CHARS = 160
MATCH_STYLE = Style(bold=True, reverse=True)


class HistoryHitRow(Protocol):
    """local_cache.history_search.HistoryHit fits."""

    chat_id: str
    customer_name: str
    chat_state: str
    message_id: str
    author: str
    created_at: float
    text: str
    spans: tuple[tuple[int, int], ...]
    private: bool  # an internal note: said so in the row


def snippet(text: str, spans: Sequence[tuple[int, int]]) -> Text:
    """One line of the message around its first match, each match marked. Inert: customer text is data (every
    piece goes through `inert`, so a control character never shifts a mark onto the wrong text)."""
    flat = text.replace("\n", " ").replace("\r", " ")  # one character for one: the spans still fit
    start = max(0, spans[0][0] - CONTEXT_CHARS) if spans else 0
    end = min(len(flat), start + SNIPPET_CHARS)
    line = Text("…" if start else "", style="dim")
    cursor = start
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, cursor), min(span_end, end)
        if span_start >= span_end:
            continue
        line.append(inert(flat[cursor:span_start]))
        line.append(inert(flat[span_start:span_end]), style=MATCH_STYLE)
        cursor = span_end
    line.append(inert(flat[cursor:end]))
    if end < len(flat):
        line.append("…", style="dim")
    return line


def hit_prompt(hit: HistoryHitRow) -> Text:
    """Who, where the chat stands and when, then the matching text."""
    when = datetime.fromtimestamp(hit.created_at).strftime("%Y-%m-%d %H:%M")
    head = Text(inert(hit.customer_name or hit.chat_id), style="bold")
    state = tr(hit.chat_state.replace("_", " ")) if hit.chat_state else tr("not cached")
    head.append(f"  ·  {inert(state)}  ·  {when}  ·  {tr(hit.author)}", style="dim")
    if getattr(hit, "private", False):
        head.append(f"  ✎ {tr('Internal note')}", style="bold yellow")
    return head + Text("\n") + snippet(hit.text, hit.spans)


class HistorySearchScreen(ModalScreen[HistoryHitRow | None]):
    DEFAULT_CSS = """
    HistorySearchScreen { align: center middle; }
    HistorySearchScreen > Vertical {
        width: 90%; max-width: 130; height: 80%; border: round $accent; background: $surface; padding: 0 1;
    }
    HistorySearchScreen Label { width: 100%; }
    HistorySearchScreen #history-status { color: $text-muted; }
    HistorySearchScreen OptionList { height: 1fr; border: none; }
    HistorySearchScreen OptionList.-stale { text-opacity: 50%; }
    """
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("pagedown", "move(10)", "Next", show=False),
        Binding("pageup", "move(-10)", "Previous", show=False),
    ]

    @dataclass
    class Answered(Message):
        """A search finished (in its worker thread): `hits`, or `error` when the store failed."""

        number: int
        query: str
        hits: list
        error: str = ""

    def __init__(self, search: Callable[[str], list[HistoryHitRow]]) -> None:
        """`search`: query -> hits, newest first; called in a worker thread, one query at a time or not."""
        super().__init__()
        translate_bindings(self)
        self._search = search
        self._asked = 0  # the number of the newest query: answers to older ones are dropped
        self._pending: Timer | None = None
        self.hits: list[HistoryHitRow] = []  # what the list shows (for tests)
        self.answered_query: str | None = None  # the query those hits answer

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(tr("Search every message, open and closed chats (Enter opens the chat there, Esc closes)"),
                        markup=False)
            yield Input(placeholder=tr("Text to find: 退款, refund, an order number…"), highlighter=InertHighlighter(),
                        id="history-query")
            yield Label(tr("Type to search."), id="history-status", markup=False)
            yield OptionList(id="history-results")

    def on_mount(self) -> None:
        self.query_one(OptionList).can_focus = False  # the keys stay in the field; ↑/↓ move the highlight
        self.query_one(Input).focus()

    @property
    def status(self) -> str:
        return str(self.query_one("#history-status", Label).content)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._asked += 1
        if self._pending is not None:
            self._pending.stop()
        query = event.value.strip()
        if not query:
            self._show([], "", tr("Type to search."))
            return
        self._set_status(tr("Searching…"))
        self.query_one(OptionList).set_class(True, "-stale")  # the last query's rows, until this one's come
        self._pending = self.set_timer(DEBOUNCE_SECONDS, lambda number=self._asked: self._start(number, query))

    def _start(self, number: int, query: str) -> None:
        if number != self._asked:
            return
        search = self._search

        def work() -> None:
            try:
                answer = HistorySearchScreen.Answered(number, query, list(search(query)))
            except Exception as error:  # the store failed (a StoreError names the file): said, and nothing is lost
                answer = HistorySearchScreen.Answered(number, query, [], str(error) or type(error).__name__)
            self.post_message(answer)

        self.run_worker(work, thread=True, group="history-search", exit_on_error=False)

    def on_history_search_screen_answered(self, event: Answered) -> None:
        if event.number != self._asked:
            return  # an older query's answer, come late
        if event.error:
            self._show([], event.query, tr("Search failed: {error}. Your query is kept; type to try again.",
                                           error=event.error))
        elif not event.hits:
            self._show([], event.query, tr("No messages contain “{query}”.", query=event.query))
        else:
            self._show(event.hits, event.query, tr("{count} message(s), newest first", count=len(event.hits)))

    def _show(self, hits: list[HistoryHitRow], query: str, status: str) -> None:
        self.hits, self.answered_query = hits, query
        results = self.query_one(OptionList)
        results.set_class(False, "-stale")
        results.clear_options()
        results.add_options([Option(hit_prompt(hit)) for hit in hits])
        if hits:
            results.highlighted = 0
        self._set_status(status)

    def _set_status(self, text: str) -> None:
        self.query_one("#history-status", Label).update(inert(text))

    def action_move(self, step: int) -> None:
        results = self.query_one(OptionList)
        if self.hits:
            current = results.highlighted or 0
            results.highlighted = max(0, min(len(self.hits) - 1, current + step))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        highlighted = self.query_one(OptionList).highlighted
        if self.hits and highlighted is not None and self.answered_query == event.value.strip():
            self.dismiss(self.hits[highlighted])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()  # a click on a row
        if 0 <= event.option_index < len(self.hits):
            self.dismiss(self.hits[event.option_index])
