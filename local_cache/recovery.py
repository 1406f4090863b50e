"""Moving a damaged store aside, with the agent's consent, and carrying its unsent items over."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from local_cache.database import open_database, write_transaction

# NOT INDEXED: rows are found through the table's own b-tree by rowid, so a damaged index page loses nothing.
UNSENT = "SELECT idempotency_key, chat_id, kind, body, created_at FROM outbox NOT INDEXED WHERE "
UNSENT_BETWEEN = UNSENT + "id BETWEEN ? AND ? AND state IN ('queued', 'sending') ORDER BY id"
# One row by equality: a range scan steps on to the next page to see where the range ends, so the last row
# before a damaged page is readable only this way.
UNSENT_ONE = UNSENT + "id = ? AND state IN ('queued', 'sending')"
LAST_ID_QUERIES = (
    "SELECT MAX(id) FROM outbox NOT INDEXED",
    "SELECT seq FROM sqlite_sequence WHERE name='outbox'",  # AUTOINCREMENT's high-water mark
)
FALLBACK_LAST_ID = 2**63 - 1
# Reads that may fail before the salvage stops halving: a damaged page costs about (its rows x 2) failed reads,
# a damaged branch of the tree up to twice the ids under it; this bounds the time spent on a ruined file.
MAX_FAILED_READS = 200_000


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
    """Read what unsent rows can still be read; a damaged outbox page loses only the rows on it."""
    try:
        # as_uri() escapes what a URI would read as syntax: '#', '?' and '%' in a folder name.
        conn = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    try:
        return [row for row in read_range(conn, 1, last_id(conn)) if plausible(row)]
    finally:
        conn.close()


def last_id(conn: sqlite3.Connection) -> int:
    for query in LAST_ID_QUERIES:
        try:
            row = conn.execute(query).fetchone()
        except sqlite3.Error:
            continue
        if row and isinstance(row[0], int):
            return row[0]
    return FALLBACK_LAST_ID


def read_range(conn: sqlite3.Connection, first: int, last: int) -> list[tuple]:
    """Rows with ids in [first, last]; a range that hits a damaged page is halved until the damage is fenced
    off to the ids on it, so each damaged page costs a few dozen small reads, not the whole outbox."""
    pending, rows, failures = [(first, last)], [], 0
    while pending:
        low, high = pending.pop()
        try:
            if low == high:
                rows.extend(conn.execute(UNSENT_ONE, (low,)).fetchall())
            else:
                rows.extend(conn.execute(UNSENT_BETWEEN, (low, high)).fetchall())
        except sqlite3.Error:
            failures += 1
            if low < high and failures < MAX_FAILED_READS:
                middle = (low + high) // 2
                pending += [(middle + 1, high), (low, middle)]  # popped low half first: ids stay in order
    return rows


def plausible(row: tuple) -> bool:
    """A damaged page can also read back as rows of the wrong shape; only whole items are carried over."""
    key, chat_id, kind, body, created_at = row
    return (isinstance(key, str) and bool(key) and isinstance(chat_id, str) and kind in ("message", "action")
            and isinstance(body, str) and isinstance(created_at, (int, float)))
