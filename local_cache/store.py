"""LocalStore: one SQLite file per agent profile, behind one connection, with one attribute per concern:

    store.chats        the local copy of chats and messages, and the feed cursor   (chat_cache.py)
    store.outbox       what the agent sent, until the server has it                 (outbox.py)
    store.drafts       what the agent typed but did not send                        (drafts.py)
    store.reply_usage  which quick replies the agent uses, for search ranking       (reply_usage.py)
    store.audit        risk checks, personal data revealed, linter overrides        (audit.py)
    store.history      search over every message, open and closed chats             (history_search.py)

Every public method is one transaction. Each thread (UI, sync engine, CLI) opens its own LocalStore on the
same file; WAL lets readers and one writer proceed together.
Upserts are plain SQL, not sqlite-utils' upsert(): that rereads the table's schema on every call, 0.51 ms per
feed-cursor write against 0.07 ms, paid on every incoming message and on the UI thread for drafts.
"""

from __future__ import annotations

import re
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

from local_cache.audit import AuditTrail
from local_cache.chat_cache import ChatCache
from local_cache.database import open_database, store_error, write_transaction
from local_cache.drafts import Drafts
from local_cache.history_search import HistorySearch
from local_cache.outbox import Outbox
from local_cache.reply_usage import ReplyUsage


class LocalStore:
    def __init__(self, path: Path, clock=time.time):
        self.path = Path(path)
        self.clock = clock
        self.conn = open_database(self.path)
        self.chats = ChatCache(self)
        self.outbox = Outbox(self)
        self.drafts = Drafts(self)
        self.reply_usage = ReplyUsage(self)
        self.audit = AuditTrail(self)
        self.history = HistorySearch(self)

    @classmethod
    def for_profile(cls, data_dir: Path, profile: str, clock=time.time) -> "LocalStore":
        return cls(profile_path(data_dir, profile), clock)

    def close(self) -> None:
        self.conn.close()

    # --- transactions, for the concerns above ------------------------------------------------------------

    @contextmanager
    def reading(self):
        try:
            yield
        except sqlite3.Error as error:
            raise store_error(error, self.path, "read the local store") from error

    @contextmanager
    def writing(self):
        """One write transaction; SQLite's failures come out as a StoreError naming this file."""
        try:
            with write_transaction(self.conn):
                yield
        except sqlite3.Error as error:
            raise store_error(error, self.path, "write to the local store") from error

    @contextmanager
    def relaxed_writing(self):
        """A write that may be lost to a power cut (not to a crash of this process: WAL has it): read markers
        and drafts. It skips the fsync that the outbox's writes wait for (up to tens of ms on a busy disk),
        which these writes would otherwise add to a keystroke or a chat switch."""
        self.conn.execute("PRAGMA synchronous=NORMAL")
        try:
            with self.writing():
                yield
        finally:
            self.conn.execute("PRAGMA synchronous=FULL")

    # --- sync bookkeeping ----------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else row["value"]

    def set_meta(self, key: str, value: str) -> None:
        with self.writing():
            self.put_meta(key, value)

    def put_meta(self, key: str, value: str) -> None:
        """set_meta inside the caller's transaction."""
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    def forget_server_data(self) -> None:
        """Drop cached chats when the profile is pointed at a different server; the outbox must be empty."""
        with self.writing():
            self.conn.execute("DELETE FROM messages")
            self.conn.execute("DELETE FROM chats")
            self.conn.execute("DELETE FROM outbox WHERE state IN ('sent', 'rejected')")
            self.conn.execute("DELETE FROM meta WHERE key='feed_cursor'")


def profile_path(data_dir: Path, profile: str) -> Path:
    safe = re.sub(r"[^\w.-]+", "_", profile, flags=re.UNICODE).strip("._") or "default"
    return Path(data_dir) / "profiles" / f"{safe}.sqlite3"
