"""Today at a glance: chats, median first response, SLA breaches, average handling time, and a sparkline per
hour for each (0-23 h, left to right)."""

from __future__ import annotations

from typing import Protocol, Sequence

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Sparkline, Static

from widgets.i18n import tr, translate_bindings


class Figures(Protocol):
    """local_cache.metrics.DayMetrics fits."""

    chats: int
    median_first_response: float | None
    reply_breaches: int
    handling_breaches: int
    average_handling: float | None
    chats_by_hour: Sequence[int]
    breaches_by_hour: Sequence[int]
    first_response_by_hour: Sequence[float]


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return tr("{s} s", s=seconds)
    if seconds < 3600:
        return tr("{m} min {s} s", m=seconds // 60, s=f"{seconds % 60:02d}")
    return tr("{h} h {m} min", h=seconds // 3600, m=f"{seconds % 3600 // 60:02d}")


def figures_table(figures: Figures, first_response_limit: float) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim")
    table.add_column(style="bold")
    table.add_row(tr("Chats today"), str(figures.chats))
    table.add_row(tr("Median first response"), duration(figures.median_first_response) + tr(
        "  (standard {limit})", limit=duration(first_response_limit)))
    table.add_row(tr("SLA breaches"), f"{figures.reply_breaches + figures.handling_breaches}  " + tr(
        "(reply {reply}, handling {handling})", reply=figures.reply_breaches, handling=figures.handling_breaches))
    table.add_row(tr("Average handling time"), duration(figures.average_handling))
    return table


class MetricsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    MetricsScreen { align: center middle; }
    MetricsScreen > Vertical {
        width: 80; height: auto; border: round $accent; background: $surface; padding: 1 2;
    }
    MetricsScreen Sparkline { height: 2; margin-bottom: 1; }
    MetricsScreen Label { color: $text-muted; }
    """
    BINDINGS = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, figures: Figures, first_response_limit: float):
        super().__init__()
        translate_bindings(self)
        self.figures, self._limit = figures, first_response_limit

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(tr("[b]Today[/b]  (Esc closes)") + "\n")
            yield Static(figures_table(self.figures, self._limit), id="figures")
            yield Label("\n" + tr("Chats per hour (0–23 h)"))
            yield Sparkline(list(self.figures.chats_by_hour), id="chats-sparkline")
            yield Label(tr("SLA breaches per hour"))
            yield Sparkline(list(self.figures.breaches_by_hour), id="breaches-sparkline")
            yield Label(tr("Median first response per hour"))
            yield Sparkline(list(self.figures.first_response_by_hour), id="response-sparkline")
