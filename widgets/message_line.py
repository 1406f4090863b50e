"""The line above the footer: the chat actions' keys, or the console's alerts while they are fresh.

Alerts live here and nowhere else. Textual's toasts were drawn over the bottom right of whatever was on screen —
the composer being typed in (at 100×30 nearly all of it), a dialog, the search panel — once per message in
another chat. Here they take no space from anything: arrivals coalesce into one line ("3 new messages: 陈静,
赵先生 …"; the chat list already counts them per chat), the most severe fresh alert wins, and when they expire
the key hints come back. Every alert is also kept in `history` for the palette's "Recent alerts".
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rich.style import Style
from rich.text import Span, Text
from textual.widgets import Static

from widgets.i18n import tr
from widgets.inert_text import inert
from widgets.key_hints import fitted_key_hints

SEVERITY_RANK = {"information": 0, "warning": 1, "error": 2}
SEVERITY_STYLE = {"information": "bold", "warning": "bold yellow", "error": "bold white on dark_red"}
SEVERITY_MARK = {"information": "•", "warning": "▲", "error": "✖"}
DEFAULT_SECONDS = {"information": 5.0, "warning": 10.0, "error": 20.0}
HISTORY_KEPT = 200
NAMES_SHOWN = 3


@dataclass
class Alert:
    text: Text
    severity: str
    at: float
    until: float
    full: Text | None = None  # for the log, where the line had to shorten it (every name of the arrivals)


@dataclass
class Arrivals:
    """New messages in other chats since the last arrivals alert expired: one line for all of them."""

    messages: int = 0
    names: list[str] = field(default_factory=list)

    def add(self, name: str, messages: int) -> None:
        self.messages += messages
        if name in self.names:
            self.names.remove(name)
        self.names.insert(0, name)  # the latest first

    def text(self, every_name: bool = False) -> Text:
        names = self.names if every_name else self.names[:NAMES_SHOWN]
        shown = ", ".join(inert(name) for name in names)
        more = " …" if len(self.names) > len(names) else ""
        if self.messages == 1:
            return Text(tr("New message from {names}", names=shown))
        return Text(tr("{count} new messages: {names}", count=self.messages, names=shown) + more)


def alert_text(message: str, markup: bool) -> Text:
    """Markup only where the caller asked for it (Textual's own alerts); anything else stays plain. Either way
    no control character reaches the terminal, and markup only colours: a caller that forgot `markup=False`
    for a customer's text could otherwise hand the agent a hyperlink (OSC 8) or a clickable action."""
    line = inert(" ".join(str(message).split()))
    if markup:
        try:
            return _only_colours(Text.from_markup(line))
        except Exception:  # a stray "[" in a constant is no reason to lose the alert
            pass
    return Text(line)


def _only_colours(text: Text) -> Text:
    spans = []
    for span in text.spans:
        style = Style.parse(span.style) if isinstance(span.style, str) else span.style
        look = Style(color=style.color, bgcolor=style.bgcolor, bold=style.bold, dim=style.dim, italic=style.italic,
                     underline=style.underline, reverse=style.reverse, strike=style.strike)
        spans.append(Span(span.start, span.end, look))
    text.spans = spans
    return text


class MessageLine(Static):
    DEFAULT_CSS = """
    MessageLine { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._hints: list[tuple[str, str]] = []
        self._alerts: list[Alert] = []
        self._arrivals: Arrivals | None = None
        self._arrivals_alert: Alert | None = None
        self.history: list[Alert] = []
        self._expiry = None

    @property
    def hints(self) -> Text:
        return fitted_key_hints(self._hints, max(1, self.content_size.width))

    def show_hints(self, hints: list[tuple[str, str]]) -> None:
        """(key, what it does) pairs, shown whenever no alert is."""
        self._hints = list(hints)
        self._paint()

    def on_resize(self) -> None:
        self._paint()

    def alert(self, text: str | Text, severity: str = "information", seconds: float | None = None) -> None:
        now = time.time()
        line = alert_text(text, markup=False) if isinstance(text, str) else text
        alert = Alert(line, severity, now, now + (seconds if seconds is not None else DEFAULT_SECONDS[severity]))
        self._alerts.append(alert)
        self._remember(alert)
        self._paint()

    def arrived(self, name: str, messages: int) -> None:
        """`messages` new customer messages in the chat of `name`, which is not the one on screen."""
        now = time.time()
        if self._arrivals_alert is None or self._arrivals_alert.until <= now:
            self._arrivals = Arrivals()
            self._arrivals_alert = None
        self._arrivals.add(name, messages)
        previous = self._arrivals_alert
        if previous in self._alerts:
            self._alerts.remove(previous)
        self._arrivals_alert = Alert(self._arrivals.text(), "information", now, now + DEFAULT_SECONDS["information"],
                                     full=self._arrivals.text(every_name=True))
        self._alerts.append(self._arrivals_alert)
        self._remember(self._arrivals_alert, replacing=previous)
        self._paint()

    @property
    def showing(self) -> Alert | None:
        now = time.time()
        self._alerts = [alert for alert in self._alerts if alert.until > now]
        if not self._alerts:
            return None
        return max(self._alerts, key=lambda alert: (SEVERITY_RANK[alert.severity], alert.at))

    def _remember(self, alert: Alert, replacing: Alert | None = None) -> None:
        if replacing is not None and replacing in self.history:  # arrivals grow in place: one entry per line
            self.history.remove(replacing)
        self.history.append(alert)
        del self.history[:-HISTORY_KEPT]

    def _paint(self) -> None:
        alert = self.showing
        if alert is None:
            self.update(self.hints)
            return
        line = Text(f"{SEVERITY_MARK[alert.severity]} ", style=SEVERITY_STYLE[alert.severity])
        line.append_text(alert.text)
        line.stylize(SEVERITY_STYLE[alert.severity])
        if len(self._alerts) > 1:
            line.append(tr("  (+{count} more: palette › Recent alerts)", count=len(self._alerts) - 1), style="dim")
        self.update(line)
        if self._expiry is not None:
            self._expiry.stop()
        self._expiry = self.set_timer(max(0.05, min(a.until for a in self._alerts) - time.time()), self._paint)
