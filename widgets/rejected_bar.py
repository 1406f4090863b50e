"""A strip above the composer while the open chat has a message the backend refused for good."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from widgets.i18n import tr
from widgets.inert_text import inert_text
from widgets.key_hints import key_hints


class RejectedBar(Static):
    DEFAULT_CSS = """
    RejectedBar { height: auto; max-height: 3; padding: 0 1; background: $error 20%; display: none; }
    """

    def show(self, text: str | None, reason: str = "", count: int = 0) -> None:
        """Show the oldest rejected message of the chat (text None hides the bar)."""
        self.display = text is not None
        if text is None:
            return
        line = Text(tr("✗ not sent"), style="bold red")
        if count > 1:
            line.append(tr(" (1 of {count})", count=count), style="red")
        line.append(": ")
        line.append_text(inert_text(" ".join(text.split())[:80]))
        if reason:
            line.append_text(inert_text(f" — {reason}", "dim"))
        line.append("\n")
        line.append_text(key_hints(("f5", tr("resend")), ("f4", tr("edit and resend")), ("f8", tr("discard"))))
        self.update(line)
