"""`agent-console lint` and the check `agent-console send` makes before queueing anything."""

from __future__ import annotations

import sys

from cli.output import EXIT_OK, EXIT_UNAVAILABLE, print_json
from console.config import Settings
from quick_replies.linter import Finding, Linter, has_errors, load_linter
from widgets.inert_text import inert


def load_settings_linter(settings: Settings) -> Linter:
    """The linter for these settings; problems in the team's rule files go to stderr."""
    linter, problems = load_linter(settings.rule_dirs(), settings.search_cache)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    return linter


def run_lint(settings: Settings, text: str | None, as_json: bool) -> int:
    if text is None or text == "-":
        text = sys.stdin.read()
    findings = load_settings_linter(settings).lint(text)
    if as_json:
        print_json([finding.as_json() for finding in findings])
    else:
        for line in describe(text, findings):
            print(line)
    return EXIT_UNAVAILABLE if has_errors(findings) else EXIT_OK


def describe(text: str, findings: list[Finding]) -> list[str]:
    """line:col level rule message: "wording" -> suggestion"""
    lines = []
    for finding in findings:
        line = text.count("\n", 0, finding.start) + 1
        column = finding.start - (text.rfind("\n", 0, finding.start) + 1) + 1
        wording = inert(text[finding.start:finding.end])
        suggestion = f" -> {inert(' / '.join(finding.suggestions))}" if finding.suggestions else ""
        lines.append(f"{line}:{column} {finding.level} {finding.rule} {finding.message}: "
                     f"\u201c{wording}\u201d{suggestion}")
    return lines
