"""The help screen: every key the console answers to, built from the live bindings (never a copied list)."""

from __future__ import annotations

from typing import Iterable

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from widgets.i18n import tr, translate_bindings
from widgets.inert_text import inert_text


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 72; height: auto; max-height: 90%; border: round $accent; background: $surface; padding: 1 2;
    }
    """
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close help")]

    def __init__(self, rows: Iterable[tuple[str, str]]):
        super().__init__()
        translate_bindings(self)
        self._rows = list(rows)

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 3))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for keys, description in self._rows:
            # Texts, not strings: a Table parses strings as markup, and keys come from the agent's config file.
            table.add_row(inert_text(keys), inert_text(description))
        with VerticalScroll():
            yield Static(tr("[b]agent-console keys[/b]  (Esc closes)") + "\n")
            yield Static(table)
