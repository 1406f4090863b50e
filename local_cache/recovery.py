"""Moving a damaged store aside, with the agent's consent, and carrying its unsent items over."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from local_cache.database import open_database, write_transaction

UNSENT = "SELECT idempotency_key, chat_id, kind, body, created_at FROM outbox WHERE state IN ('queued', 'sending')"


def move_aside_and_salvage(path: Path) -> tuple[Path, int]:
    """Rename the damaged file (and its WAL) to *.corrupt-<time>, open a fresh store, copy unsent items.

    Items keep their idempotency keys, so one that the server had already applied is not applied twice.
    Returns where the old file went and how many items were carried over. Nothing is ever deleted.
    """
    path = Path(path)
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    for suffix in ("-wal", "-shm"):
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            sidecar.rename(aside.with_name(aside.name + suffix))
    path.rename(aside)
    rows = salvage_unsent(aside)
    fresh = open_database(path)
    try:
        with write_transaction(fresh):
            fresh.executemany(
                "INSERT OR IGNORE INTO outbox (idempotency_key, chat_id, kind, body, created_at) VALUES (?,?,?,?,?)",
                rows,
            )
    finally:
        fresh.close()
    return aside, len(rows)


def salvage_unsent(path: Path) -> list[tuple]:
    """Read what unsent rows can still be read; a damaged outbox page loses only what is on it."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    try:
        return conn.execute(UNSENT + " ORDER BY id").fetchall()
    except sqlite3.Error:
        return []
    finally:
        conn.close()
