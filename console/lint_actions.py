"""The phrase linter in the console: marks as the agent types, and the check before anything is queued.

Errors (privacy red flags, personal data in clear) refuse the message unless the agent types a reason, which is
recorded with it; warnings ask once; suggestions only show. Handlers use the naming convention (no @on): this
is a mixin of the App.
"""

from __future__ import annotations

from typing import Callable

from local_cache.models import LintOverride
from quick_replies.lint_rules import load_rules
from quick_replies.linter import Finding, Linter
from widgets.composer import Composer
from widgets.findings_bar import FindingsBar
from widgets.prompt_screen import ConfirmScreen, PromptScreen


class LintActions:
    linter: Linter

    def load_linter(self, rule_dirs: list) -> None:
        rules = load_rules(rule_dirs)
        self.linter = Linter(rules)
        self.rule_problems = rules.problems

    def on_composer_findings_changed(self, event: Composer.FindingsChanged) -> None:
        self.query_one(FindingsBar).show(event.findings, event.composer.text)

    def check_then_send(self, text: str, send: Callable[[LintOverride | None], None]) -> None:
        """Call `send` once the agent has cleared what the linter found: at once if nothing blocks."""
        findings = self.linter.lint(text)
        errors = [finding for finding in findings if finding.level == "error"]
        warnings = [finding for finding in findings if finding.level == "warning"]
        if errors:
            self.push_screen(
                PromptScreen(f"Not sent: {summary(text, errors)}. Fix it (ctrl+t, ctrl+g), or type why it must go "
                             "as it is — the reason is recorded with the message.", placeholder="reason"),
                lambda reason: send(LintOverride(reason, [f.as_json() for f in errors])) if reason else None,
            )
        elif warnings:
            self.push_screen(ConfirmScreen(f"Send with {summary(text, warnings)}?"),
                             lambda yes: send(None) if yes else None)
        else:
            send(None)


def summary(text: str, findings: list[Finding]) -> str:
    first = findings[0]
    more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
    return f"{first.message} — “{text[first.start:first.end]}”{more}"
