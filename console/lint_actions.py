"""The phrase linter in the console: marks as the agent types, and the check before anything is queued.

Errors (privacy red flags, personal data in clear) refuse the message unless the agent types a reason, which is
recorded with it; warnings ask once; suggestions only show. Handlers use the naming convention (no @on): this
is a mixin of the App.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Callable

from textual.binding import Binding

from local_cache.models import ChatSummary, LintOverride
from quick_replies.lint_rules import load_rules
from quick_replies.linter import Finding, Linter
from quick_replies.pii import mask_all
from widgets.composer import Composer
from widgets.findings_bar import FindingsBar
from widgets.i18n import tr
from widgets.prompt_screen import ConfirmScreen, PromptScreen
from widgets.transcript import Transcript

CUT_NUMBER = re.compile(r"(?<![0-9])[0-9]{7,}$")
LINT_BINDINGS = [
    Binding("f9", "reveal_personal_data", "Reveal", id="reveal_personal_data", show=False),
]


class LintActions:
    linter: Linter

    def load_linter(self, rule_dirs: list, cache_dir=None) -> None:
        rules = load_rules(rule_dirs, cache_dir)
        self.linter = Linter(rules)
        self.rule_problems = rules.problems

    def check_incoming(self, chat_ids) -> bool:
        """Check new customer messages against the incoming rules; a high-risk one marks its chat. True if a
        chat was newly marked."""
        marked = False
        for chat_id in chat_ids:
            messages = self.store.unchecked_customer_messages(chat_id)
            if not messages:
                continue
            first_risk = None
            for _, text in messages:
                risks = [f for f in self.linter.lint(text, "incoming") if f.category == "high_risk"]
                if risks and first_risk is None:
                    first_risk = (risks[0].rule, mask_all(text[max(0, risks[0].start - 20):risks[0].end + 20]))
                    # Which chat: f12 escalates the open one, and this may be another (or one not yet listed).
                    known = self.chats.get(chat_id) or next(iter(self.store.chat_summaries([chat_id])), None)
                    self.notify(tr("High-risk message from {name}: {message}",
                                   name=known.customer_name if known else chat_id, message=risks[0].message),
                                severity="error", timeout=20, markup=False)
            self.store.record_risk_check(chat_id, messages[-1][0], *(first_risk or (None, None)))
            marked = marked or first_risk is not None
        return marked

    def action_reveal_personal_data(self) -> None:
        """Show the open chat's personal data in clear until another chat is opened; every reveal is logged."""
        transcript = self.query_one("#transcript", Transcript)
        if self.current_chat_id is None or transcript.revealed:
            transcript.set_revealed(False)
            self.conceal_customer()
            self.show_customer(self.current_chat_id)
            return
        self.store.record_pii_reveal(self.current_chat_id)
        transcript.set_revealed(True)
        self.reveal_customer(self.current_chat_id)
        self.notify(tr("Personal data shown in clear for this chat (logged). f9 hides it again."), timeout=8)

    def on_composer_findings_changed(self, event: Composer.FindingsChanged) -> None:
        bar = "#side-findings" if event.composer.id == "side-composer" else "#findings-bar"
        self.query_one(bar, FindingsBar).show(event.findings, event.composer.text)

    def check_then_send(self, text: str, send: Callable[[LintOverride | None], None]) -> None:
        """Call `send` once the agent has cleared what the linter found: at once if nothing blocks."""
        findings = self.linter.lint(text)
        errors = [finding for finding in findings if finding.level == "error"]
        warnings = [finding for finding in findings if finding.level == "warning"]
        if errors:
            self.push_screen(
                PromptScreen(tr("Not sent: {summary}. Fix it (ctrl+t, ctrl+g), or type why it must go as it is — "
                                "the reason is recorded with the message.", summary=summary(text, errors)),
                             placeholder=tr("reason")),
                lambda reason: send(LintOverride(reason, [f.as_json() for f in errors])) if reason else None,
            )
        elif warnings:
            self.push_screen(ConfirmScreen(tr("Send with {summary}?", summary=summary(text, warnings))),
                             lambda yes: send(None) if yes else None)
        else:
            send(None)


def masked_preview(chat: ChatSummary) -> ChatSummary:
    """The chat list shows the last message too: never its personal data in clear. The preview is cut short,
    so a number cut off at its end is masked too (it may be the start of a card number)."""
    preview = mask_all(chat.last_message_preview)
    preview = CUT_NUMBER.sub(lambda m: m.group()[:3] + "*" * (len(m.group()) - 3), preview)
    return dataclasses.replace(chat, last_message_preview=preview)


def summary(text: str, findings: list[Finding]) -> str:
    first = findings[0]
    more = tr(" (and {count} more)", count=len(findings) - 1) if len(findings) > 1 else ""
    return f"{first.message} — “{text[first.start:first.end]}”{more}"
