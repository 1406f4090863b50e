"""LocalStore: one SQLite file per agent profile, holding the chat cache, the outbox and sync bookkeeping.

Every public method is one transaction. Each thread (UI, sync engine, CLI) opens its own LocalStore on the
same file; WAL lets readers and one writer proceed together.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

from local_cache import chat_cache, outbox
from local_cache.backend_client import Delivery
from local_cache.database import open_database, store_error, write_transaction
from local_cache.metrics import DayMetrics, day_metrics
from local_cache.models import ChatSummary, LintOverride, OutboxItem, RemoteChat, RemoteMessage, TranscriptEntry

MAX_MESSAGE_CHARS = 5000

# What each chat action changes in the local copy while it waits in the outbox (column, value), if anything.
ACTION_EFFECTS = {
    "close": lambda action: ("state", "closed"),
    "transfer": lambda action: ("state", "transferred"),
    "priority": lambda action: ("priority", action.get("priority", "normal")),
    "tag": lambda action: ("tags", json.dumps(action.get("tags", []), ensure_ascii=False)),
}


class LocalStore:
    def __init__(self, path: Path, clock=time.time):
        self.path = Path(path)
        self.clock = clock
        self.conn = open_database(self.path)

    @classmethod
    def for_profile(cls, data_dir: Path, profile: str, clock=time.time) -> "LocalStore":
        return cls(profile_path(data_dir, profile), clock)

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def _reading(self):
        try:
            yield
        except sqlite3.Error as error:
            raise store_error(error, self.path, "read the local store") from error

    @contextmanager
    def _writing(self):
        """One write transaction; SQLite's failures come out as a StoreError naming this file."""
        try:
            with write_transaction(self.conn):
                yield
        except sqlite3.Error as error:
            raise store_error(error, self.path, "write to the local store") from error

    @contextmanager
    def _relaxed_writing(self):
        """A write that may be lost to a power cut (not to a crash of this process: WAL has it): read markers
        and drafts. It skips the fsync that the outbox's writes wait for (up to tens of ms on a busy disk),
        which these writes would otherwise add to a keystroke or a chat switch."""
        self.conn.execute("PRAGMA synchronous=NORMAL")
        try:
            with self._writing():
                yield
        finally:
            self.conn.execute("PRAGMA synchronous=FULL")

    # --- sync bookkeeping ----------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else row["value"]

    def set_meta(self, key: str, value: str) -> None:
        with self._writing():
            self._set_meta(key, value)

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    def apply_changes(
        self, chats: list[RemoteChat], messages: list[RemoteMessage], cursor: int | None = None
    ) -> None:
        """Upsert a batch from the server and advance the feed cursor in the same transaction."""
        with self._writing():
            for chat in chats:
                chat_cache.upsert_chat(self.conn, chat)
            for message in messages:
                chat_cache.upsert_message(self.conn, message)
            if cursor is not None:
                self._set_meta("feed_cursor", str(cursor))

    def feed_cursor(self) -> int | None:
        value = self.get_meta("feed_cursor")
        return None if value is None else int(value)

    def last_seq(self, chat_id: str) -> int:
        return chat_cache.last_seq(self.conn, chat_id)

    def forget_server_data(self) -> None:
        """Drop cached chats when the profile is pointed at a different server; the outbox must be empty."""
        with self._writing():
            self.conn.execute("DELETE FROM messages")
            self.conn.execute("DELETE FROM chats")
            self.conn.execute("DELETE FROM outbox WHERE state IN ('sent', 'rejected')")
            self.conn.execute("DELETE FROM meta WHERE key='feed_cursor'")

    # --- what the UI and CLI read ----------------------------------------------------------------------

    def chat_summaries(self, chat_ids: list[str] | None = None) -> list[ChatSummary]:
        with self._reading():
            return chat_cache.chat_summaries(self.conn, chat_ids)

    def transcript(self, chat_id: str, after_seq: int = 0) -> list[TranscriptEntry]:
        with self._reading():
            return chat_cache.transcript(self.conn, chat_id, after_seq)

    def day_metrics(self, day_start: float, policy, chats: dict) -> DayMetrics:
        with self._reading():
            return day_metrics(self.conn, day_start, self.clock(), policy, chats)

    def customer_profile(self, chat_id: str) -> dict:
        """The cached profile for the customer panel (personal numbers as the server masked them)."""
        with self._reading():
            row = self.conn.execute("SELECT profile FROM chats WHERE id=?", (chat_id,)).fetchone()
        return json.loads(row["profile"]) if row else {}

    def chat_exists(self, chat_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM chats WHERE id=?", (chat_id,)).fetchone() is not None

    def mark_read(self, chat_id: str) -> None:
        with self._relaxed_writing():
            chat_cache.mark_read(self.conn, chat_id)

    # --- quick-reply usage (for ranking) -------------------------------------------------------------------

    def record_reply_use(self, key: str) -> None:
        with self._writing():
            self.conn.execute(
                "INSERT INTO reply_usage (key, count, last_used) VALUES (?, 1, ?) "
                "ON CONFLICT (key) DO UPDATE SET count=count+1, last_used=excluded.last_used",
                (key, self.clock()),
            )

    def reply_usage(self) -> dict[str, tuple[int, float]]:
        with self._reading():
            rows = self.conn.execute("SELECT key, count, last_used FROM reply_usage")
            return {row["key"]: (row["count"], row["last_used"]) for row in rows}

    # --- the outbox --------------------------------------------------------------------------------------

    def enqueue_message(self, chat_id: str, text: str, override: LintOverride | None = None) -> OutboxItem:
        """Durable once this returns: committed with its idempotency key before any network call. An override
        of linter errors is recorded in the same transaction: no message goes out unaccounted for."""
        text = normalise_outgoing(text)
        if not text:
            raise ValueError("an empty message cannot be sent")
        if len(text) > MAX_MESSAGE_CHARS:
            raise ValueError(f"the message is {len(text)} characters; the limit is {MAX_MESSAGE_CHARS}")
        if override is not None and not override.reason.strip():
            raise ValueError("overriding the linter needs a reason")
        with self._writing():
            item = outbox.enqueue(self.conn, chat_id, "message", {"text": text}, self.clock())
            if override is not None:
                self.conn.execute(
                    "INSERT INTO lint_overrides (outbox_key, chat_id, reason, findings, created_at) VALUES (?,?,?,?,?)",
                    (item.idempotency_key, chat_id, override.reason.strip(),
                     json.dumps(override.findings, ensure_ascii=False), self.clock()),
                )
            return item

    # --- drafts -------------------------------------------------------------------------------------------

    def save_draft(self, chat_id: str, text: str) -> None:
        """An empty text removes the draft."""
        with self._relaxed_writing():
            if text.strip():
                self.conn.execute(
                    "INSERT INTO drafts (chat_id, text, updated_at) VALUES (?,?,?) "
                    "ON CONFLICT(chat_id) DO UPDATE SET text=excluded.text, updated_at=excluded.updated_at",
                    (chat_id, text, self.clock()),
                )
            else:
                self.conn.execute("DELETE FROM drafts WHERE chat_id=?", (chat_id,))

    def draft(self, chat_id: str) -> str:
        with self._reading():
            row = self.conn.execute("SELECT text FROM drafts WHERE chat_id=?", (chat_id,)).fetchone()
            return row["text"] if row else ""

    # --- incoming risk and personal data --------------------------------------------------------------------

    def unchecked_customer_messages(self, chat_id: str) -> list[tuple[int, str]]:
        """(seq, text) of the customer's messages not yet checked against the incoming rules."""
        with self._reading():
            return [(row["seq"], row["text"]) for row in self.conn.execute(
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
        now = self.clock()
        with self._relaxed_writing():
            self.conn.execute(
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
        with self._writing():
            self.conn.execute("INSERT INTO pii_reveals (chat_id, revealed_at) VALUES (?, ?)", (chat_id, self.clock()))

    def pii_reveals(self) -> list[tuple[str, float]]:
        with self._reading():
            return [(row["chat_id"], row["revealed_at"]) for row in
                    self.conn.execute("SELECT chat_id, revealed_at FROM pii_reveals ORDER BY id")]

    def lint_overrides(self) -> list[dict]:
        with self._reading():
            rows = self.conn.execute("SELECT * FROM lint_overrides ORDER BY id").fetchall()
            return [dict(row) | {"findings": json.loads(row["findings"])} for row in rows]

    def enqueue_action(self, chat_id: str, action: dict) -> OutboxItem:
        """Queue a chat action and show its effect at once; the server's answer (or a rejection) corrects it."""
        if action.get("type") not in ACTION_EFFECTS:
            raise ValueError(f"unknown chat action {action.get('type')!r}; known: {', '.join(ACTION_EFFECTS)}")
        with self._writing():
            item = outbox.enqueue(self.conn, chat_id, "action", action, self.clock())
            effect = ACTION_EFFECTS[action["type"]](action)
            if effect:
                column, value = effect
                self.conn.execute(f"UPDATE chats SET {column}=? WHERE id=?", (value, chat_id))
            return item

    def resend(self, item_id: int) -> OutboxItem:
        """A rejected item goes again as a new item at the back of the queue, with a new key."""
        with self._writing():
            old = outbox.get(self.conn, item_id)
            if old is None or old.state != "rejected":
                raise ValueError("only a rejected item can be resent")
            new = outbox.enqueue(self.conn, old.chat_id, old.kind, old.body, self.clock())
            outbox.delete(self.conn, item_id)
            # The agent's reason for sending despite linter errors goes with the message, whatever its key.
            self.conn.execute("UPDATE lint_overrides SET outbox_key=? WHERE outbox_key=?",
                              (new.idempotency_key, old.idempotency_key))
            return new

    def discard(self, item_id: int) -> None:
        """Drop a rejected item for good (the UI asks the agent to confirm first)."""
        with self._writing():
            if not outbox.delete_rejected(self.conn, item_id):
                raise ValueError("only a rejected item can be discarded")

    def rejected_items(self, chat_id: str) -> list[OutboxItem]:
        return [i for i in outbox.items(self.conn, chat_id) if i.state == "rejected"]

    def outbox_items(self) -> list[OutboxItem]:
        with self._reading():
            return outbox.items(self.conn)

    def outbox_depth(self) -> int:
        return outbox.depth(self.conn)

    def due_items(self, limit: int) -> list[OutboxItem]:
        return outbox.due_items(self.conn, self.clock(), limit)

    def seconds_until_due(self) -> float | None:
        return outbox.seconds_until_due(self.conn, self.clock())

    def mark_sending(self, items: list[OutboxItem]) -> None:
        with self._writing():
            for item in items:
                outbox.mark_sending(self.conn, item.id)

    def apply_deliveries(self, items: list[OutboxItem], deliveries: list[Delivery]) -> None:
        """Settle delivered items, and what the server made of them, in one transaction."""
        by_key = {item.idempotency_key: item for item in items}
        with self._writing():
            for delivery in deliveries:
                item = by_key[delivery.idempotency_key]
                if not delivery.accepted:
                    outbox.mark_rejected(self.conn, item.id, delivery.error)
                    continue
                outbox.mark_sent(self.conn, item.id, delivery.message.id if delivery.message else None)
                if delivery.chat is not None:
                    chat_cache.upsert_chat(self.conn, delivery.chat)
                if delivery.message is not None:
                    chat_cache.upsert_message(self.conn, delivery.message)

    def mark_retry(self, items: list[OutboxItem], error: str, delay: float) -> None:
        with self._writing():
            for item in items:
                outbox.mark_retry(self.conn, item.id, error, self.clock() + delay)

    def make_due_now(self) -> None:
        """The backend is back: waiting out old backoff timers would only delay the drain."""
        with self._writing():
            outbox.make_due_now(self.conn)

    def requeue_interrupted(self) -> int:
        with self._writing():
            return outbox.requeue_interrupted(self.conn)


def profile_path(data_dir: Path, profile: str) -> Path:
    safe = re.sub(r"[^\w.-]+", "_", profile, flags=re.UNICODE).strip("._") or "default"
    return Path(data_dir) / "profiles" / f"{safe}.sqlite3"


def normalise_outgoing(text: str) -> str:
    # Trailing blank lines and spaces are composer noise, never meant for the customer.
    return text.rstrip()
