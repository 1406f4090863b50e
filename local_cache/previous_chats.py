"""A returning customer's other chats (`store.chats.previous_chats`): the customer panel lists them, newest first.

Chats are linked by the backend's customer id only (customer.id, docs/api.md): two customers of one name are two
customers, and a chat without an id has no previous chats.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from local_cache.chat_views import PREVIEW_CHARS

PREVIOUS = """
SELECT c.id, c.state, c.created_at, c.updated_at,
    (SELECT text FROM messages m WHERE m.chat_id = c.id ORDER BY seq DESC LIMIT 1) AS last_text,
    (SELECT COUNT(*) FROM messages m WHERE m.chat_id = c.id) AS messages
FROM chats c WHERE c.customer_id = ? AND c.id != ? ORDER BY c.created_at DESC, c.id LIMIT ?
"""
COUNT = "SELECT COUNT(*) FROM chats WHERE customer_id = ? AND id != ?"


@dataclass(frozen=True)
class PreviousChat:
    id: str
    state: str
    created_at: float
    updated_at: float
    last_message_preview: str  # as stored: the caller masks it
    messages: int  # how many of its messages the local store holds (0: none were ever pulled)


@dataclass(frozen=True)
class PreviousChats:
    chats: tuple[PreviousChat, ...]  # newest first, at most the `limit` asked for
    total: int  # all of them, for "and N more"


def previous_chats(conn: sqlite3.Connection, customer_id: str, except_chat_id: str, limit: int) -> PreviousChats:
    if not customer_id:
        return PreviousChats((), 0)
    chats = tuple(
        PreviousChat(id=row["id"], state=row["state"], created_at=row["created_at"], updated_at=row["updated_at"],
                     last_message_preview=" ".join((row["last_text"] or "").split())[:PREVIEW_CHARS],
                     messages=row["messages"])
        for row in conn.execute(PREVIOUS, (customer_id, except_chat_id, limit))
    )
    total = conn.execute(COUNT, (customer_id, except_chat_id)).fetchone()[0]
    return PreviousChats(chats, total)
