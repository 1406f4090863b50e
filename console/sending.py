"""What stands between Enter and the outbox: the questions a message must clear before it is queued, in order.

1. A text over the message limit cannot go at all.
2. Linter errors (privacy red flags, personal data in clear) refuse it unless the agent types a reason, which is
   recorded with the message; warnings ask once; suggestions only show.
3. A placeholder still in the text (`{order.id}`) asks once.

An internal note (the composer's note mode) clears the same questions but is linted for personal data only: the
personal-data rules refuse it exactly as they refuse a message (notes are kept, read by colleagues and exported
with the chat: PIPL's least exposure holds), while the rules about wording — tone, blame, absolutes, hedges, and
"privacy" requests such as asking for a password, which address the customer — do not apply to a text the
customer never reads. A placeholder left in a note is not asked about either.

The Sender asks them one after the other in a worker (`push_screen_wait`) and queues the message when every
one is answered; a message with nothing to ask is queued at once, inside the keystroke that sent it, so that the
next key typed can never land in a composer that is about to be cleared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from textual.screen import ModalScreen

from local_cache.database import StoreError
from local_cache.models import LintOverride
from local_cache.outbox import MAX_MESSAGE_CHARS
from quick_replies.linter import Finding, Linter
from quick_replies.placeholders import unfilled_in
from widgets.chat_pane import ChatPane
from widgets.i18n import tr
from widgets.screens.prompts import ConfirmScreen, PromptScreen

if TYPE_CHECKING:
    from console.chat_desk import ChatDesk


@dataclass
class Question:
    screen: ModalScreen
    override: Callable[[object], LintOverride | None] = lambda answer: None  # what the answer records


@dataclass
class SendCheck:
    refusal: str | None  # why it cannot go at all
    questions: list[Question]


NOTE_CATEGORIES = frozenset({"personal_data"})  # what an internal note is linted for (see above)


def applicable(findings: list[Finding], note: bool) -> list[Finding]:
    return [finding for finding in findings if finding.category in NOTE_CATEGORIES] if note else findings


def check_before_sending(linter: Linter, text: str, note: bool = False) -> SendCheck:
    if len(text) > MAX_MESSAGE_CHARS:
        return SendCheck(tr("Not sent: the message is {count} characters; the limit is {limit}. Shorten it or "
                            "split it.", count=f"{len(text):,}", limit=f"{MAX_MESSAGE_CHARS:,}"), [])
    questions = []
    findings = applicable(linter.lint(text), note)
    errors = [finding for finding in findings if finding.level == "error"]
    warnings = [finding for finding in findings if finding.level == "warning"]
    if errors:
        questions.append(Question(
            PromptScreen(tr("Not sent: {summary}. Fix it (ctrl+t, ctrl+g), or type why it must go as it is — "
                            "the reason is recorded with the message.", summary=summary(text, errors)),
                         placeholder=tr("reason")),
            lambda reason: LintOverride(reason, [finding.as_json() for finding in errors]),
        ))
    elif warnings:
        questions.append(Question(ConfirmScreen(tr("Send with {summary}?", summary=summary(text, warnings)))))
    unfilled = [] if note else unfilled_in(text)
    if unfilled:
        names = ", ".join(text[u.start:u.end] for u in unfilled)
        questions.append(Question(ConfirmScreen(tr("The message still contains {names}. Send it as it is?",
                                                   names=names))))
    return SendCheck(None, questions)


def lint_draft(linter: Linter, text: str, note: bool = False) -> list[Finding]:
    """The composer's marks as the agent types. A text over the message limit cannot be sent whatever it says,
    and linting a pasted megabyte took ~10 s on the interface thread: it is not linted (Enter says why it
    cannot go)."""
    return applicable(linter.lint(text), note) if len(text) <= MAX_MESSAGE_CHARS else []


def summary(text: str, findings: list[Finding]) -> str:
    first = findings[0]
    more = tr(" (and {count} more)", count=len(findings) - 1) if len(findings) > 1 else ""
    return f"{first.message} — “{text[first.start:first.end]}”{more}"


class Sender:
    """Enter in a composer, to the outbox: the checks, the questions in turn, then the message queued."""

    def __init__(self, desk: ChatDesk, linter: Linter) -> None:
        self._desk = desk
        self._linter = linter

    def send(self, pane: ChatPane | None, text: str, note: bool = False) -> None:
        chat_id = pane.chat_id if pane else None
        if pane is None or chat_id is None:
            self._desk.notify(tr("Pick a chat first (alt+1…9 or the chat list)."), severity="warning")
            return
        check = check_before_sending(self._linter, text, note)
        if check.refusal:
            self._desk.notify(check.refusal, severity="error", markup=False)  # the text stays in the composer
        elif check.questions:
            self._desk.run_worker(self._ask_then_send(chat_id, text, pane, check.questions, note), group="send")
        else:
            self.queue(chat_id, text, pane, note=note)

    async def _ask_then_send(self, chat_id: str, text: str, pane: ChatPane, questions: list[Question],
                             note: bool) -> None:
        """Each question in turn, as a dialog; the message is queued once every one is answered yes."""
        override = None
        for question in questions:
            answer = await self._desk.app.push_screen_wait(question.screen)
            if not answer:
                return  # the text stays in the composer
            override = question.override(answer) or override
        self.queue(chat_id, text, pane, override, note)

    def queue(self, chat_id: str, text: str, pane: ChatPane, override: LintOverride | None = None,
              note: bool = False) -> None:
        desk = self._desk
        try:
            desk.store.outbox.enqueue_message(chat_id, text, override, private=note)
        except (ValueError, StoreError) as error:
            desk.notify(str(error), severity="error", markup=False)  # the text stays in the composer
            return
        desk.drafts.forget_sent_text(chat_id, text, pane)
        if note:
            desk.notify(tr("Note added (agents only). The composer is back to replying to the customer."))
        desk.refresh_chats()
        desk.show_open_chats()
        desk.show_outbox_depth()
        desk.services.wake_sync()
