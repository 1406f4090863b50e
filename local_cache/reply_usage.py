"""How often and how recently this agent used each quick reply or FAQ entry (`store.reply_usage`): search
ranks by it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from local_cache.store import LocalStore


class ReplyUsage:
    def __init__(self, store: LocalStore):
        self.store = store

    def record(self, key: str) -> None:
        with self.store.writing():
            self.store.conn.execute(
                "INSERT INTO reply_usage (key, count, last_used) VALUES (?, 1, ?) "
                "ON CONFLICT (key) DO UPDATE SET count=count+1, last_used=excluded.last_used",
                (key, self.store.clock()),
            )

    def counts(self) -> dict[str, tuple[int, float]]:
        """Key -> (times used, when last used)."""
        with self.store.reading():
            rows = self.store.conn.execute("SELECT key, count, last_used FROM reply_usage")
            return {row["key"]: (row["count"], row["last_used"]) for row in rows}
