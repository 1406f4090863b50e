"""LocalStore: one SQLite file per agent profile, holding the chat cache, the outbox and sync bookkeeping.

Every public method is one transaction. Each thread (UI, sync engine, CLI) opens its own LocalStore on the
same file; WAL lets readers and one writer proceed together.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from local_cache import chat_cache, outbox
from local_cache.backend_client import Delivery
from local_cache.database import open_database, write_transaction
from local_cache.models import ChatSummary, OutboxItem, RemoteChat, RemoteMessage, TranscriptEntry

MAX_MESSAGE_CHARS = 5000


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

    # --- sync bookkeeping ----------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else row["value"]

    def set_meta(self, key: str, value: str) -> None:
        with write_transaction(self.conn):
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
        with write_transaction(self.conn):
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
        with write_transaction(self.conn):
            self.conn.execute("DELETE FROM messages")
            self.conn.execute("DELETE FROM chats")
            self.conn.execute("DELETE FROM outbox WHERE state IN ('sent', 'rejected')")
            self.conn.execute("DELETE FROM meta WHERE key='feed_cursor'")

    # --- what the UI and CLI read ----------------------------------------------------------------------

    def chat_summaries(self) -> list[ChatSummary]:
        return chat_cache.chat_summaries(self.conn)

    def transcript(self, chat_id: str) -> list[TranscriptEntry]:
        return chat_cache.transcript(self.conn, chat_id)

    def chat_exists(self, chat_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM chats WHERE id=?", (chat_id,)).fetchone() is not None

    def mark_read(self, chat_id: str) -> None:
        with write_transaction(self.conn):
            chat_cache.mark_read(self.conn, chat_id)

    # --- the outbox --------------------------------------------------------------------------------------

    def enqueue_message(self, chat_id: str, text: str) -> OutboxItem:
        """Durable once this returns: committed with its idempotency key before any network call."""
        text = normalise_outgoing(text)
        if not text:
            raise ValueError("an empty message cannot be sent")
        if len(text) > MAX_MESSAGE_CHARS:
            raise ValueError(f"the message is {len(text)} characters; the limit is {MAX_MESSAGE_CHARS}")
        with write_transaction(self.conn):
            return outbox.enqueue(self.conn, chat_id, "message", {"text": text}, self.clock())

    def outbox_items(self) -> list[OutboxItem]:
        return outbox.items(self.conn)

    def outbox_depth(self) -> int:
        return outbox.depth(self.conn)

    def due_items(self, limit: int) -> list[OutboxItem]:
        return outbox.due_items(self.conn, self.clock(), limit)

    def seconds_until_due(self) -> float | None:
        return outbox.seconds_until_due(self.conn, self.clock())

    def mark_sending(self, items: list[OutboxItem]) -> None:
        with write_transaction(self.conn):
            for item in items:
                outbox.mark_sending(self.conn, item.id)

    def apply_deliveries(self, items: list[OutboxItem], deliveries: list[Delivery]) -> None:
        """Settle delivered items, and what the server made of them, in one transaction."""
        by_key = {item.idempotency_key: item for item in items}
        with write_transaction(self.conn):
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
        with write_transaction(self.conn):
            for item in items:
                outbox.mark_retry(self.conn, item.id, error, self.clock() + delay)

    def make_due_now(self) -> None:
        """The backend is back: waiting out old backoff timers would only delay the drain."""
        with write_transaction(self.conn):
            outbox.make_due_now(self.conn)

    def requeue_interrupted(self) -> int:
        with write_transaction(self.conn):
            return outbox.requeue_interrupted(self.conn)


def profile_path(data_dir: Path, profile: str) -> Path:
    safe = re.sub(r"[^\w.-]+", "_", profile, flags=re.UNICODE).strip("._") or "default"
    return Path(data_dir) / "profiles" / f"{safe}.sqlite3"


def normalise_outgoing(text: str) -> str:
    # Trailing blank lines and spaces are composer noise, never meant for the customer.
    return text.rstrip()
