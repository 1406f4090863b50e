"""What the agent typed but did not send, per chat (`store.drafts`): kept across chat switches and restarts."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from local_cache.store import LocalStore


class Drafts:
    def __init__(self, store: LocalStore):
        self.store = store

    def save(self, chat_id: str, text: str) -> None:
        """An empty text removes the draft."""
        with self.store.relaxed_writing():
            if text.strip():
                self.store.conn.execute(
                    "INSERT INTO drafts (chat_id, text, updated_at) VALUES (?,?,?) "
                    "ON CONFLICT(chat_id) DO UPDATE SET text=excluded.text, updated_at=excluded.updated_at",
                    (chat_id, text, self.store.clock()),
                )
            else:
                self.store.conn.execute("DELETE FROM drafts WHERE chat_id=?", (chat_id,))

    def get(self, chat_id: str) -> str:
        with self.store.reading():
            row = self.store.conn.execute("SELECT text FROM drafts WHERE chat_id=?", (chat_id,)).fetchone()
            return row["text"] if row else ""
