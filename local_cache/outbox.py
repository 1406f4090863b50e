"""The outbox: every outgoing message or chat action is a row here before any network call.

States: queued -> sending -> sent | rejected. The idempotency key is created with the row, in the same
transaction, and every retry reuses it, so the server applies each item at most once.
Functions here run inside the caller's transaction.
"""

from __future__ import annotations

import json
import sqlite3
import uuid

from local_cache.models import OutboxItem


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
        "SELECT * FROM outbox WHERE state IN ('queued', 'sending') ORDER BY id LIMIT ?", (limit,)
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
    )
