"""The outbox (`store.outbox`): every outgoing message or chat action is a row here before any network call.

States: queued -> sending -> sent | rejected. The idempotency key is created with the row, in the same
transaction, and every retry reuses it, so the server applies each item at most once.
`Outbox`'s methods are one transaction each; the module functions run inside the caller's transaction.
Plain sqlite3 throughout, not sqlite-utils: exactly-once rests on each write being one BEGIN IMMEDIATE
transaction with synchronous=FULL, and on nothing else committing or rereading the schema in between.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import TYPE_CHECKING

from local_cache import audit, chat_cache
from local_cache.backend_client import Delivery
from local_cache.models import LintOverride, OutboxItem

if TYPE_CHECKING:
    from local_cache.store import LocalStore

MAX_MESSAGE_CHARS = 5000

# What each chat action changes in the local copy while it waits in the outbox (column, value), if anything.
ACTION_EFFECTS = {
    "close": lambda action: ("state", "closed"),
    "transfer": lambda action: ("state", "transferred"),
    "priority": lambda action: ("priority", action.get("priority", "normal")),
    "tag": lambda action: ("tags", json.dumps(action.get("tags", []), ensure_ascii=False)),
}


class Outbox:
    def __init__(self, store: LocalStore):
        self.store = store

    def enqueue_message(self, chat_id: str, text: str, override: LintOverride | None = None,
                        private: bool = False) -> OutboxItem:
        """Durable once this returns: committed with its idempotency key before any network call. An override
        of linter errors is recorded in the same transaction: no message goes out unaccounted for. `private`:
        an internal note, which travels the same way (same queue, order and key) but only agents see."""
        text = normalise_outgoing(text)
        if not text:
            raise ValueError("an empty message cannot be sent")
        if len(text) > MAX_MESSAGE_CHARS:
            raise ValueError(f"the message is {len(text)} characters; the limit is {MAX_MESSAGE_CHARS}")
        if override is not None and not override.reason.strip():
            raise ValueError("overriding the linter needs a reason")
        with self.store.writing():
            # `private` only on a note: a message's body stays what it always was (and its fingerprint too).
            body = {"text": text, "private": True} if private else {"text": text}
            item = enqueue(self.store.conn, chat_id, "message", body, self.store.clock())
            if override is not None:
                audit.record_lint_override(self.store.conn, item, override, self.store.clock())
            return item

    def enqueue_action(self, chat_id: str, action: dict) -> OutboxItem:
        """Queue a chat action and show its effect at once; the server's answer (or a rejection) corrects it."""
        if action.get("type") not in ACTION_EFFECTS:
            raise ValueError(f"unknown chat action {action.get('type')!r}; known: {', '.join(ACTION_EFFECTS)}")
        conn = self.store.conn
        with self.store.writing():
            item = enqueue(conn, chat_id, "action", action, self.store.clock())
            effect = ACTION_EFFECTS[action["type"]](action)
            if effect:
                column, value = effect
                conn.execute(f"UPDATE chats SET {column}=? WHERE id=?", (value, chat_id))
            return item

    def resend(self, item_id: int) -> OutboxItem:
        """A rejected item goes again as a new item at the back of the queue, with a new key."""
        conn = self.store.conn
        with self.store.writing():
            old = get(conn, item_id)
            if old is None or old.state != "rejected":
                raise ValueError("only a rejected item can be resent")
            new = enqueue(conn, old.chat_id, old.kind, old.body, self.store.clock())
            delete(conn, item_id)
            # The agent's reason for sending despite linter errors goes with the message, whatever its key.
            audit.move_lint_override(conn, old.idempotency_key, new.idempotency_key)
            return new

    def discard(self, item_id: int) -> None:
        """Drop a rejected item for good (the UI asks the agent to confirm first)."""
        with self.store.writing():
            if not delete_rejected(self.store.conn, item_id):
                raise ValueError("only a rejected item can be discarded")

    def rejected_items(self, chat_id: str) -> list[OutboxItem]:
        return [i for i in items(self.store.conn, chat_id) if i.state == "rejected"]

    def items(self) -> list[OutboxItem]:
        with self.store.reading():
            return items(self.store.conn)

    def depth(self) -> int:
        return depth(self.store.conn)

    def due_items(self, limit: int) -> list[OutboxItem]:
        return due_items(self.store.conn, self.store.clock(), limit)

    def seconds_until_due(self) -> float | None:
        return seconds_until_due(self.store.conn, self.store.clock())

    def mark_sending(self, items: list[OutboxItem]) -> None:
        with self.store.writing():
            for item in items:
                mark_sending(self.store.conn, item.id)

    def apply_deliveries(self, items: list[OutboxItem], deliveries: list[Delivery]) -> None:
        """Settle delivered items, and what the server made of them, in one transaction."""
        by_key = {item.idempotency_key: item for item in items}
        conn = self.store.conn
        with self.store.writing():
            for delivery in deliveries:
                item = by_key[delivery.idempotency_key]
                if not delivery.accepted:
                    mark_rejected(conn, item.id, delivery.error)
                    continue
                mark_sent(conn, item.id, delivery.message.id if delivery.message else None)
                if delivery.chat is not None:
                    chat_cache.upsert_chat(conn, delivery.chat)
                if delivery.message is not None:
                    chat_cache.upsert_message(conn, delivery.message)

    def mark_retry(self, items: list[OutboxItem], error: str, delay: float) -> None:
        with self.store.writing():
            for item in items:
                mark_retry(self.store.conn, item.id, error, self.store.clock() + delay)

    def make_due_now(self) -> None:
        """The backend is back: waiting out old backoff timers would only delay the drain."""
        with self.store.writing():
            make_due_now(self.store.conn)

    def requeue_interrupted(self) -> int:
        with self.store.writing():
            return requeue_interrupted(self.store.conn)


def normalise_outgoing(text: str) -> str:
    # Trailing blank lines and spaces are composer noise, never meant for the customer.
    return text.rstrip()


def enqueue(conn: sqlite3.Connection, chat_id: str, kind: str, body: dict, now: float) -> OutboxItem:
    key = str(uuid.uuid4())
    cursor = conn.execute(
        "INSERT INTO outbox (idempotency_key, chat_id, kind, body, created_at) VALUES (?,?,?,?,?)",
        (key, chat_id, kind, json.dumps(body, ensure_ascii=False), now),
    )
    return get(conn, cursor.lastrowid)


def get(conn: sqlite3.Connection, item_id: int) -> OutboxItem:
    return _item(conn.execute("SELECT * FROM outbox WHERE id=?", (item_id,)).fetchone())


def due_items(conn: sqlite3.Connection, now: float, limit: int) -> list[OutboxItem]:
    """The oldest unfinished items, in order, up to the first one not yet due.

    One strict order over all chats keeps each chat's messages in the order the agent sent them; rejected
    items are finished, so they never hold up the ones behind them.
    """
    due = []
    for row in conn.execute(
        "SELECT o.*, (SELECT COALESCE(MAX(m.seq), 0) FROM messages m WHERE m.chat_id = o.chat_id"
        " AND m.client_key IS NOT NULL) AS sent_floor"
        " FROM outbox o WHERE o.state IN ('queued', 'sending') ORDER BY o.id LIMIT ?", (limit,)
    ):
        if row["next_attempt_at"] > now:
            break
        due.append(_item(row))
    return due


def seconds_until_due(conn: sqlite3.Connection, now: float) -> float | None:
    row = conn.execute(
        "SELECT next_attempt_at FROM outbox WHERE state IN ('queued', 'sending') ORDER BY id LIMIT 1"
    ).fetchone()
    return None if row is None else max(0.0, row["next_attempt_at"] - now)


def mark_sending(conn: sqlite3.Connection, item_id: int) -> None:
    conn.execute("UPDATE outbox SET state='sending', attempts=attempts+1 WHERE id=?", (item_id,))


def mark_sent(conn: sqlite3.Connection, item_id: int, server_message_id: str | None) -> None:
    conn.execute(
        "UPDATE outbox SET state='sent', last_error=NULL, server_message_id=? WHERE id=?",
        (server_message_id, item_id),
    )


def mark_retry(conn: sqlite3.Connection, item_id: int, error: str, next_attempt_at: float) -> None:
    conn.execute(
        "UPDATE outbox SET state='queued', last_error=?, next_attempt_at=? WHERE id=?",
        (error, next_attempt_at, item_id),
    )


def mark_rejected(conn: sqlite3.Connection, item_id: int, error: str) -> None:
    conn.execute("UPDATE outbox SET state='rejected', last_error=? WHERE id=?", (error, item_id))


def make_due_now(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE outbox SET next_attempt_at=0 WHERE state='queued'")


def requeue_interrupted(conn: sqlite3.Connection) -> int:
    """Rows left in 'sending' by a crash go back to 'queued'; their key makes the resend safe."""
    return conn.execute("UPDATE outbox SET state='queued' WHERE state='sending'").rowcount


def depth(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM outbox WHERE state IN ('queued', 'sending')").fetchone()[0]


def items(conn: sqlite3.Connection, chat_id: str | None = None) -> list[OutboxItem]:
    if chat_id is None:
        return [_item(row) for row in conn.execute("SELECT * FROM outbox ORDER BY id")]
    return [_item(row) for row in conn.execute("SELECT * FROM outbox WHERE chat_id=? ORDER BY id", (chat_id,))]


def delete(conn: sqlite3.Connection, item_id: int) -> None:
    conn.execute("DELETE FROM outbox WHERE id=?", (item_id,))


def delete_rejected(conn: sqlite3.Connection, item_id: int) -> bool:
    return conn.execute("DELETE FROM outbox WHERE id=? AND state='rejected'", (item_id,)).rowcount == 1


def _item(row: sqlite3.Row | None) -> OutboxItem | None:
    if row is None:
        return None
    return OutboxItem(
        id=row["id"],
        idempotency_key=row["idempotency_key"],
        chat_id=row["chat_id"],
        kind=row["kind"],
        body=json.loads(row["body"]),
        state=row["state"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        sent_floor=row["sent_floor"] if "sent_floor" in row.keys() else 0,
    )
