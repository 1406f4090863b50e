"""What the agent typed but did not send, per chat (`store.drafts`): kept across chat switches and restarts, with
whether the composer was in note mode (an internal note half typed stays a note)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from local_cache.store import LocalStore


class Draft(NamedTuple):
    text: str
    note: bool  # the composer was in note mode for this chat


class Drafts:
    def __init__(self, store: LocalStore):
        self.store = store

    def save(self, chat_id: str, text: str, note: bool = False) -> None:
        """An empty text in reply mode removes the draft; note mode is kept even with nothing typed yet."""
        with self.store.relaxed_writing():
            if text.strip() or note:
                self.store.conn.execute(
                    "INSERT INTO drafts (chat_id, text, updated_at, private) VALUES (?,?,?,?) "
                    "ON CONFLICT(chat_id) DO UPDATE SET text=excluded.text, updated_at=excluded.updated_at, "
                    "private=excluded.private",
                    (chat_id, text, self.store.clock(), int(note)),
                )
            else:
                self.store.conn.execute("DELETE FROM drafts WHERE chat_id=?", (chat_id,))

    def get(self, chat_id: str) -> str:
        return self.draft(chat_id).text

    def draft(self, chat_id: str) -> Draft:
        with self.store.reading():
            row = self.store.conn.execute("SELECT text, private FROM drafts WHERE chat_id=?", (chat_id,)).fetchone()
            return Draft(row["text"], bool(row["private"])) if row else Draft("", False)
