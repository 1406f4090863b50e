"""A strip above the composer listing what the phrase linter found in the text being typed."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from widgets.i18n import tr
from widgets.inert_text import inert_text
from widgets.key_hints import key_hints

MARKS = {"error": ("✗", "bold red"), "warning": ("!", "bold yellow"), "suggestion": ("·", "cyan")}
SHOWN = 3


class FindingsBar(Static):
    DEFAULT_CSS = """
    FindingsBar { height: auto; max-height: 5; padding: 0 1; background: $warning 15%; display: none; }
    """

    def show(self, findings: list, text: str) -> None:
        """`findings` as the composer has them; `text` the composer's text they point into."""
        self.display = bool(findings)
        if not findings:
            return
        lines = Text()
        for finding in findings[:SHOWN]:
            mark, style = MARKS.get(finding.level, ("?", ""))
            lines.append(f"{mark} {finding.level} ", style=style)
            lines.append_text(inert_text(finding.message))
            lines.append(": ")
            lines.append_text(inert_text(f"“{text[finding.start:finding.end]}”", "bold"))
            # What ctrl+t puts in: the masked number, or the rewritten clause (or nothing: the clause repeats).
            replacement = finding.fix_text or (tr("(drop: said already)") if finding.has_fix else "")
            if replacement:
                lines.append(" → ")
                lines.append_text(inert_text(replacement, "green"))
            lines.append("\n")
        if len(findings) > SHOWN:
            lines.append(f"… and {len(findings) - SHOWN} more\n", style="dim")
        lines.append_text(key_hints(("ctrl+t", tr("use suggestion")), ("ctrl+g", tr("mask personal data")),
                                    ("enter", tr("send (errors need a reason)"))))
        self.update(lines)
