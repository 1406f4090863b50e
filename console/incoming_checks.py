"""The linter on customers' messages: high risk and complaint risk, checked off the interface thread.

What an outgoing message must clear before it is queued is in console/sending.py; the composer's marks as the
agent types come from the same linter (widgets/composer.py).

Customers' messages are checked against the incoming rules (high risk, and complaint risk apart from it) in a
thread worker, one batch at a time, so no message and no team rule can hold up the interface. A message that
cannot be checked (longer than `incoming_check_limit`, or one the linter fails on) is recorded as checked and the
agent is told it was not.
"""

from __future__ import annotations

import string
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

from quick_replies.linter import Finding, Linter
from quick_replies.pii import mask_all
from widgets.i18n import tr

if TYPE_CHECKING:
    from console.chat_desk import ChatDesk

INCOMING_CHECK_LIMIT = 100_000  # characters: beyond any message a backend accepts (64 KiB)
# Characters a phone, card or ID number or an e-mail address is made of: an excerpt is widened over them.
NUMBER_OR_ADDRESS = frozenset(string.ascii_letters + string.digits + "０１２３４５６７８９ -.+_@＠")
BATCH_SECONDS = 0.5  # a batch stops after this, so that a high-risk mark is not held up by a long backlog


@dataclass
class ChatChecked:
    chat_id: str
    last_seq: int  # every message up to here was checked, or found impossible to check
    risk: tuple[str, str, str] | None = None  # (rule, its message, masked excerpt) of the first high-risk one
    unchecked: int = 0  # messages that could not be checked
    complaint: tuple[str, str, str] | None = None  # the same for the first complaint-risk one (12315, 差评, ...)


@dataclass
class IncomingChecked(Message):
    """Posted by the worker to the desk: what it found, to record and show."""
    results: list[ChatChecked] = field(default_factory=list)


def check_customer_messages(linter: Linter, batch: dict[str, list[tuple[int, str]]], limit: int) -> list[ChatChecked]:
    """Runs in a worker thread: pure, touches neither the store nor widgets. Stops after BATCH_SECONDS (at a
    message's end, as a check cannot be interrupted); what it did not reach is left for the next batch."""
    started = time.monotonic()
    results = []
    for chat_id, messages in batch.items():
        result = ChatChecked(chat_id, 0)
        for seq, text in messages:
            if result.last_seq and time.monotonic() - started > BATCH_SECONDS:
                break
            result.last_seq = seq
            if len(text) > limit:
                result.unchecked += 1
                continue
            try:
                findings = linter.lint(text, "incoming")
                risks = [f for f in findings if f.category == "high_risk"]
                if risks and result.risk is None:
                    result.risk = marked_by(risks[0], text)
                complaints = [f for f in findings if f.category == "complaint_risk"]
                if complaints and result.complaint is None:
                    result.complaint = marked_by(complaints[0], text)
            except Exception:  # noqa: BLE001 - a message the linter cannot handle must not stop the checks
                result.unchecked += 1
        if result.last_seq:
            results.append(result)
        if time.monotonic() - started > BATCH_SECONDS:
            break
    return results


def marked_by(finding: Finding, text: str) -> tuple[str, str, str]:
    """(rule, its message, excerpt): the excerpt is stored and shown, so personal data in it is masked."""
    start, end = max(0, finding.start - 20), finding.end + 20
    while start > 0 and text[start - 1] in NUMBER_OR_ADDRESS:  # never cut a number in two: it would not be masked
        start -= 1
    while end < len(text) and text[end] in NUMBER_OR_ADDRESS:
        end += 1
    return finding.rule, finding.message, mask_all(text[start:end])


class IncomingChecks:
    """Owned by the chat desk: it records what the worker found and asks the desk to show the marks."""

    def __init__(self, desk: ChatDesk, linter: Linter) -> None:
        self._desk = desk
        self._linter = linter
        self.limit = INCOMING_CHECK_LIMIT  # characters; a test stands in a smaller one
        self._waiting: set[str] = set()  # chats with messages to check once the running batch is done
        self._batch: set[str] | None = None  # the chats of the batch being checked

    def check(self, chat_ids) -> None:
        """Check these chats' new customer messages against the incoming rules, in a worker: a high-risk one
        marks its chat (the list is refreshed when the marks are recorded)."""
        self._waiting |= set(chat_ids)
        if self._batch is None:
            self._check_next_batch()

    def _check_next_batch(self) -> None:
        waiting, self._waiting = self._waiting, set()
        store = self._desk.store
        batch = {chat_id: messages for chat_id in sorted(waiting)
                 if (messages := store.audit.unchecked_customer_messages(chat_id))}
        if not batch:
            return
        self._batch = set(batch)
        linter, limit, desk = self._linter, self.limit, self._desk

        def work() -> None:
            results: list[ChatChecked] = []
            try:
                results = check_customer_messages(linter, batch, limit)
            finally:  # whatever happens, the desk hears back, or it would never check again
                desk.post_message(IncomingChecked(results))

        desk.run_worker(work, thread=True, group="incoming-check", exit_on_error=False)

    def record(self, event: IncomingChecked) -> None:
        batch, self._batch = self._batch or set(), None
        desk, store = self._desk, self._desk.store
        if desk.widgets_gone():
            return  # quitting: the next start checks these messages again
        marked = set()
        for result in event.results:
            rule, message, excerpt = result.risk or (None, None, None)
            complaint_rule, complaint_message, complaint_excerpt = result.complaint or (None, None, None)
            # Which chat: f12 escalates the open one, and this may be another (or one not yet listed).
            known = desk.chats.get(result.chat_id) or next(iter(store.chats.summaries([result.chat_id])), None)
            name = known.customer_name if known else result.chat_id
            # A complaint risk is told once per chat, and not at all beside the high-risk alarm (which says more).
            tell_complaint = bool(result.complaint and not result.risk and
                                  not (known and (known.complaint_risk or known.high_risk)))
            store.audit.record_risk_check(result.chat_id, result.last_seq, rule, excerpt, result.unchecked,
                                          complaint_rule=complaint_rule, complaint_excerpt=complaint_excerpt)
            if result.risk:
                marked.add(result.chat_id)
                desk.notify(tr("High-risk message from {name}: {message}", name=name, message=message),
                            severity="error", timeout=20, markup=False)
            if result.complaint and not (known and known.complaint_risk):
                marked.add(result.chat_id)  # its row shows the mark (or the high-risk one, which outranks it)
            if tell_complaint:
                desk.notify(tr("Complaint risk from {name}: {message}", name=name, message=complaint_message),
                            severity="warning", timeout=20, markup=False)
            if result.unchecked:
                marked.add(result.chat_id)  # its row says "not checked", this start and every next one
                desk.notify(tr("{count} message(s) from {name} could not be checked for high risk (not checked): "
                               "read them yourself", count=result.unchecked, name=name),
                            severity="warning", timeout=20, markup=False)
        if marked:
            desk.show_marks(marked)
        if event.results:  # progress was made: go on with what the batch did not reach
            self._waiting |= batch
        if self._waiting:  # and with what arrived meanwhile
            self._check_next_batch()
