"""Recent alerts, newest first: what the message line showed, for an agent who looked away (palette › Recent
alerts)."""

from __future__ import annotations

from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from widgets.i18n import tr, translate_bindings
from widgets.message_line import SEVERITY_MARK, SEVERITY_STYLE, Alert


class AlertLogScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    AlertLogScreen { align: center middle; }
    AlertLogScreen > VerticalScroll {
        width: 90%; max-width: 120; height: auto; max-height: 90%; border: round $accent; background: $surface;
        padding: 1 2;
    }
    """
    BINDINGS = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, alerts: list[Alert]):
        super().__init__()
        translate_bindings(self)
        self._alerts = list(reversed(alerts))

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim", no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column()  # wraps: the whole text, which the line may have cut
        for alert in self._alerts:
            mark = Text(SEVERITY_MARK[alert.severity], style=SEVERITY_STYLE[alert.severity])
            table.add_row(datetime.fromtimestamp(alert.at).strftime("%H:%M:%S"), mark, alert.full or alert.text)
        with VerticalScroll():
            yield Static(Text(tr("Recent alerts"), style="bold") + Text("  (Esc)", style="dim"))
            yield Static(table if self._alerts else Text(tr("No alerts yet."), style="dim"))
