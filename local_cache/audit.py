"""What the agent must be able to account for (`store.audit`): incoming messages checked against the risk rules,
masked personal data revealed (PIPL: operations are logged), and messages sent despite linter errors."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING

from local_cache.models import LintOverride, OutboxItem

if TYPE_CHECKING:
    from local_cache.store import LocalStore


class AuditTrail:
    def __init__(self, store: LocalStore):
        self.store = store

    def unchecked_customer_messages(self, chat_id: str) -> list[tuple[int, str]]:
        """(seq, text) of the customer's messages not yet checked against the incoming rules."""
        with self.store.reading():
            return [(row["seq"], row["text"]) for row in self.store.conn.execute(
                "SELECT seq, text FROM messages WHERE chat_id=? AND author='customer' AND seq > "
                "COALESCE((SELECT checked_seq FROM chat_risk WHERE chat_id=?), 0) ORDER BY seq",
                (chat_id, chat_id))]

    def record_risk_check(self, chat_id: str, seq: int, rule: str | None = None, excerpt: str | None = None,
                          unchecked: int = 0, complaint_rule: str | None = None,
                          complaint_excerpt: str | None = None) -> None:
        """Checked up to `seq`; a chat keeps the first high-risk rule it matched, and the first complaint-risk
        rule (apart: one may come without the other), and counts the messages that could not be checked.
        Written without waiting for fsync (once per incoming message): a power cut loses the marks together with
        checked_seq, so the next start checks those messages again and marks the chat again."""
        now = self.store.clock()
        with self.store.relaxed_writing():
            self.store.conn.execute(
                "INSERT INTO chat_risk (chat_id, checked_seq, rule, excerpt, marked_at, unchecked, complaint_rule, "
                "complaint_excerpt, complaint_at) VALUES (?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT(chat_id) DO UPDATE SET checked_seq=MAX(checked_seq, excluded.checked_seq), "
                "rule=COALESCE(rule, excluded.rule), excerpt=COALESCE(excerpt, excluded.excerpt), "
                "marked_at=COALESCE(marked_at, excluded.marked_at), unchecked=unchecked + excluded.unchecked, "
                "complaint_excerpt=CASE WHEN complaint_rule IS NULL THEN excluded.complaint_excerpt "
                "ELSE complaint_excerpt END, "
                "complaint_at=COALESCE(complaint_at, excluded.complaint_at), "
                "complaint_rule=COALESCE(complaint_rule, excluded.complaint_rule)",
                (chat_id, seq, rule, excerpt, now if rule else None, unchecked, complaint_rule, complaint_excerpt,
                 now if complaint_rule else None),
            )

    def record_pii_reveal(self, chat_id: str) -> None:
        with self.store.writing():
            self.store.conn.execute("INSERT INTO pii_reveals (chat_id, revealed_at) VALUES (?, ?)",
                                    (chat_id, self.store.clock()))

    def pii_reveals(self) -> list[tuple[str, float]]:
        with self.store.reading():
            return [(row["chat_id"], row["revealed_at"]) for row in
                    self.store.conn.execute("SELECT chat_id, revealed_at FROM pii_reveals ORDER BY id")]

    def lint_overrides(self) -> list[dict]:
        with self.store.reading():
            rows = self.store.conn.execute("SELECT * FROM lint_overrides ORDER BY id").fetchall()
            return [dict(row) | {"findings": json.loads(row["findings"])} for row in rows]


def record_lint_override(conn: sqlite3.Connection, item: OutboxItem, override: LintOverride, now: float) -> None:
    """In the caller's transaction: the one that enqueues the message."""
    conn.execute(
        "INSERT INTO lint_overrides (outbox_key, chat_id, reason, findings, created_at) VALUES (?,?,?,?,?)",
        (item.idempotency_key, item.chat_id, override.reason.strip(),
         json.dumps(override.findings, ensure_ascii=False), now),
    )


def move_lint_override(conn: sqlite3.Connection, old_key: str, new_key: str) -> None:
    conn.execute("UPDATE lint_overrides SET outbox_key=? WHERE outbox_key=?", (new_key, old_key))
