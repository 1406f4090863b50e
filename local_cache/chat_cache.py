"""The local copy of chats and messages (`store.chats`). Rows are keyed by server id, so replaying a change
never duplicates.

`ChatCache`'s methods are one transaction each; the module functions run inside the caller's transaction (the
outbox settles a delivery and caches the server's copy of the message in one).
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING

from local_cache import chat_views
from local_cache.attachments import attachments_json
from local_cache.metrics import DayMetrics, day_metrics
from local_cache.models import ChatSummary, RemoteChat, RemoteMessage, TranscriptEntry
from local_cache.previous_chats import PreviousChats, previous_chats

if TYPE_CHECKING:
    from local_cache.store import LocalStore


class ChatCache:
    def __init__(self, store: LocalStore):
        self.store = store

    def apply_changes(
        self, chats: list[RemoteChat], messages: list[RemoteMessage], cursor: int | None = None
    ) -> None:
        """Upsert a batch from the server and advance the feed cursor in the same transaction."""
        conn = self.store.conn
        with self.store.writing():
            for chat in chats:
                upsert_chat(conn, chat)
            pulled: dict[str, int] = {}
            for message in messages:
                upsert_message(conn, message)
                pulled[message.chat_id] = max(pulled.get(message.chat_id, 0), message.seq)
            for chat_id, seq in pulled.items():
                conn.execute("UPDATE chats SET pulled_seq = MAX(pulled_seq, ?) WHERE id=?", (seq, chat_id))
            if cursor is not None:
                self.store.put_meta("feed_cursor", str(cursor))

    def feed_cursor(self) -> int | None:
        value = self.store.get_meta("feed_cursor")
        return None if value is None else int(value)

    def last_seq(self, chat_id: str) -> int:
        return last_seq(self.store.conn, chat_id)

    def pulled_seq(self, chat_id: str) -> int:
        """The highest seq the feed (not a delivery answer) has brought for the chat: with sparse ids, every
        message up to it is held."""
        row = self.store.conn.execute("SELECT pulled_seq FROM chats WHERE id=?", (chat_id,)).fetchone()
        return row[0] if row else 0

    def summaries(self, chat_ids: list[str] | None = None) -> list[ChatSummary]:
        with self.store.reading():
            return chat_views.chat_summaries(self.store.conn, chat_ids)

    def transcript(self, chat_id: str, after_seq: int = 0) -> list[TranscriptEntry]:
        with self.store.reading():
            return chat_views.transcript(self.store.conn, chat_id, after_seq)

    def previous_chats(self, customer_id: str, except_chat_id: str, limit: int = 5) -> PreviousChats:
        """The customer's other chats in the store, newest first (local_cache/previous_chats.py)."""
        with self.store.reading():
            return previous_chats(self.store.conn, customer_id, except_chat_id, limit)

    def day_metrics(self, day_start: float, policy, chats: dict) -> DayMetrics:
        with self.store.reading():
            return day_metrics(self.store.conn, day_start, self.store.clock(), policy, chats)

    def customer_profile(self, chat_id: str) -> dict:
        """The cached profile for the customer panel (personal numbers as the server masked them)."""
        with self.store.reading():
            row = self.store.conn.execute("SELECT profile FROM chats WHERE id=?", (chat_id,)).fetchone()
        return json.loads(row["profile"]) if row else {}

    def exists(self, chat_id: str) -> bool:
        return self.store.conn.execute("SELECT 1 FROM chats WHERE id=?", (chat_id,)).fetchone() is not None

    def mark_read(self, chat_id: str) -> None:
        with self.store.relaxed_writing():
            mark_read(self.store.conn, chat_id)


CLOSE_PENDING = """EXISTS (SELECT 1 FROM outbox WHERE outbox.chat_id = chats.id AND outbox.kind = 'action'
    AND outbox.state IN ('queued', 'sending') AND json_extract(outbox.body, '$.type') = 'close')"""


def upsert_chat(conn: sqlite3.Connection, chat: RemoteChat) -> None:
    conn.execute(
        """
        INSERT INTO chats (id, customer_name, customer_title, vip, channel, state, priority, created_at, updated_at,
                           opened_at, tags, profile, customer_id)
        VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
        ON CONFLICT (id) DO UPDATE SET
            customer_name=excluded.customer_name, customer_title=excluded.customer_title, vip=excluded.vip,
            channel=excluded.channel, priority=excluded.priority,
            updated_at=excluded.updated_at, tags=excluded.tags, profile=excluded.profile,
            customer_id=excluded.customer_id,
            -- The agent's close still on its way stays shown: the server's answer to an action queued before it
            -- (the resolution tag) says "opened" and is not a reopening.
            state=CASE WHEN {closing} THEN 'closed' ELSE excluded.state END,
            -- A closed chat the customer wrote into again starts a new handling period.
            opened_at=CASE WHEN chats.state = 'closed' AND excluded.state != 'closed' AND NOT {closing}
                           THEN excluded.updated_at ELSE chats.opened_at END
        """.format(closing=CLOSE_PENDING),
        (
            chat.id, chat.customer_name, chat.customer_title, int(chat.vip), chat.channel,
            chat.state, chat.priority, chat.created_at, chat.updated_at, chat.created_at,
            json.dumps(list(chat.tags), ensure_ascii=False), json.dumps(chat.profile, ensure_ascii=False),
            chat.customer_id,
        ),
    )


def transfer_json(transfer: tuple[str, str]) -> str | None:
    """As the outbox holds a transfer's body, so the transcript read treats both alike (chat_views.py)."""
    if not transfer:
        return None
    to, note = transfer
    return json.dumps({"type": "transfer", "to": to, "note": note}, ensure_ascii=False)


def upsert_message(conn: sqlite3.Connection, message: RemoteMessage) -> None:
    conn.execute(
        """
        INSERT INTO messages (id, chat_id, seq, author, text, created_at, client_key, private, attachments, transfer)
        VALUES (?,?,?,?,?,?,?,?,?,?)
        ON CONFLICT (id) DO UPDATE SET
            seq=excluded.seq, text=excluded.text, client_key=COALESCE(messages.client_key, excluded.client_key),
            private=excluded.private, attachments=excluded.attachments, transfer=excluded.transfer
        """,
        (
            message.id, message.chat_id, message.seq, message.author, message.text,
            message.created_at, message.client_key, int(message.private), attachments_json(message.attachments),
            transfer_json(message.transfer),
        ),
    )
    if message.client_key:
        # The change feed may deliver our own message before the POST's answer does (or instead of it).
        conn.execute(
            "UPDATE outbox SET state='sent', server_message_id=? WHERE idempotency_key=? AND state != 'sent'",
            (message.id, message.client_key),
        )


def last_seq(conn: sqlite3.Connection, chat_id: str) -> int:
    return conn.execute("SELECT COALESCE(MAX(seq), 0) FROM messages WHERE chat_id=?", (chat_id,)).fetchone()[0]


def mark_read(conn: sqlite3.Connection, chat_id: str) -> None:
    conn.execute("UPDATE chats SET read_seq=? WHERE id=?", (last_seq(conn, chat_id), chat_id))
