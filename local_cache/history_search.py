"""History search (`store.history`): every message in the local store, open and closed chats, newest first.

The query is one piece of text, found as typed wherever it occurs in a message, ignoring case: never FTS5 query
syntax, so `"`, `*`, `NEAR(` or `OR` typed by the agent are searched for as text. Queries of 3+ characters go
through the trigram index (migration 11) as one phrase; 1-2 characters (退款, a digit pair) cannot be a trigram, so
they become the OR of the indexed trigrams they start (each text is indexed with an end mark, so every occurrence
starts one); a common one is found by reading the newest messages, which hold `limit` hits of it.
Text is masked (quick_replies.pii) unless the caller asks for it in clear, and that reveal is logged per chat as
the console's f9 is. Match spans are character offsets into the text as returned (masked or not).
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from quick_replies.pii import find_pii

if TYPE_CHECKING:
    from local_cache.store import LocalStore

SHORTEST_INDEXED = 3  # a trigram index holds 3-character pieces
# A 1-2 character query is first looked for in the newest messages: a common one (您, e) has `limit` hits there,
# found sooner than its trigrams are even listed (the vocabulary counts every posting of each: 25 ms for `e` at
# 200,000 messages). A rarer one becomes the OR of the trigrams it starts, unless they are very many.
RECENT_ROWS = 3000
MOST_TRIGRAMS = 400
LAST_CHARACTER = "\U0010ffff"

HIT_COLUMNS = """m.id, m.chat_id, m.seq, m.author, m.text, m.created_at, m.private,
    COALESCE(c.customer_name, '') AS customer_name, COALESCE(c.state, '') AS chat_state"""

# The index hands its rows out newest-stored first, which is cheap; that is not always newest-written (a chat's
# older history can arrive late), so it only says whether the matches are few, and the order comes from times.
NEWEST_STORED = "SELECT rowid FROM message_search WHERE message_search MATCH ? ORDER BY rowid DESC LIMIT ?"
FEW = f"""SELECT {HIT_COLUMNS} FROM messages m LEFT JOIN chats c ON c.id = m.chat_id
    WHERE m.rowid IN (SELECT value FROM json_each(?)) ORDER BY m.created_at DESC, m.rowid DESC"""
# Many: the newest-stored matches show that the `limit` newest are no older than `since`, so only messages from
# then on can be among them, and those have a rowid from `first` on (few, where rowids follow time, as they
# mostly do: the index reads just that end of its lists).
FIRST_SINCE = "SELECT MIN(rowid) FROM messages INDEXED BY messages_by_time WHERE created_at >= ?"
MANY = f"""SELECT {HIT_COLUMNS} FROM message_search s JOIN messages m ON m.rowid = s.rowid
    LEFT JOIN chats c ON c.id = m.chat_id
    WHERE message_search MATCH ? AND s.rowid >= ? AND m.created_at >= ?
    ORDER BY m.created_at DESC, m.rowid DESC LIMIT ?"""
# lower() folds ASCII only (SQLite without ICU), as LIKE would; Chinese needs no folding.
SCANNED = f"""SELECT {HIT_COLUMNS} FROM messages m LEFT JOIN chats c ON c.id = m.chat_id
    WHERE instr(lower(m.text), lower(?)) > 0 AND m.created_at >= ?
    ORDER BY m.created_at DESC, m.rowid DESC LIMIT ?"""
RECENT_SINCE = "SELECT created_at FROM messages ORDER BY created_at DESC LIMIT 1 OFFSET ?"
# The pending list (migration 12), a batch at a time: the rowid it ends at, those messages indexed, the list cut.
LAST_PENDING = """SELECT MAX(message_rowid) FROM (SELECT message_rowid FROM message_search_pending
    ORDER BY message_rowid LIMIT ?)"""
INDEX_PENDING = """INSERT INTO message_search (rowid, text)
    SELECT m.rowid, m.text || char(57344, 57344) FROM message_search_pending p
    JOIN messages m ON m.rowid = p.message_rowid WHERE p.message_rowid <= ?"""
PENDING_DONE = "DELETE FROM message_search_pending WHERE message_rowid <= ?"
TRIGRAMS_STARTING = "SELECT term FROM message_search_terms WHERE term >= ? AND term < ? LIMIT ?"


@dataclass(frozen=True)
class HistoryHit:
    chat_id: str
    customer_name: str
    chat_state: str  # opened | transferred | closed … as the server said ('' for a chat not cached)
    message_id: str
    seq: int
    author: str  # agent | customer | system
    created_at: float
    text: str  # masked unless the search was asked to reveal
    spans: tuple[tuple[int, int], ...]  # [start, end) character offsets of each match in `text`
    private: bool = False  # an agent's internal note


class HistorySearch:
    def __init__(self, store: LocalStore):
        self.store = store

    def search(self, text: str, limit: int = 50, reveal: bool = False,
               revealed_chats: frozenset[str] = frozenset()) -> list[HistoryHit]:
        """`revealed_chats`: chats the agent has shown in clear already (that reveal was logged): their hits come
        unmasked too, without logging again."""
        query = text.strip()
        if not query or limit <= 0:
            return []
        self.index_pending()  # every message stored so far is found, however recent
        conn = self.store.conn
        with self.store.reading():
            rows = find_rows(conn, query, limit)
        if reveal:
            for chat_id in dict.fromkeys(row["chat_id"] for row in rows):
                self.store.audit.record_pii_reveal(chat_id)
        return [hit(row, query, reveal or row["chat_id"] in revealed_chats) for row in rows]


    def index_pending(self, most: int = -1) -> int:
        """Index the messages stored since the last call (migration 12): up to `most` of them, oldest first, or all.
        Returns how many were indexed. The sync engine calls it with a bound when the feed is quiet, so a search
        seldom finds much to do. The index can be rebuilt from the messages, so a power cut may lose this write
        (not a crash: WAL has it): the pending list is restored with it in the same transaction."""
        conn = self.store.conn
        if not has_pending_list(conn):
            return 0
        with self.store.relaxed_writing():
            last = conn.execute(LAST_PENDING, (most,)).fetchone()[0]
            if last is None:
                return 0
            indexed = conn.execute(INDEX_PENDING, (last,)).rowcount
            conn.execute(PENDING_DONE, (last,))
        return indexed


def find_rows(conn: sqlite3.Connection, query: str, limit: int) -> list[sqlite3.Row]:
    indexed = has_index(conn)
    if len(query) < SHORTEST_INDEXED or not indexed:
        recent = conn.execute(RECENT_SINCE, (RECENT_ROWS,)).fetchone()
        if recent is None or not indexed:  # the store is small, or has no index: scan it all
            return conn.execute(SCANNED, (query, -math.inf, limit)).fetchall()
        rows = conn.execute(SCANNED, (query, recent[0], limit)).fetchall()
        if len(rows) == limit:  # the newest messages held them all: nothing older can come first
            return rows
    match = index_query(conn, query)
    if match is None:
        return conn.execute(SCANNED, (query, -math.inf, limit)).fetchall()
    if not match:
        return []
    newest = [rowid for (rowid,) in conn.execute(NEWEST_STORED, (match, limit + 1))]
    rows = conn.execute(FEW, (json.dumps(newest),)).fetchall()
    if len(newest) <= limit:  # all of them
        return rows
    since = rows[limit - 1]["created_at"]
    first = conn.execute(FIRST_SINCE, (since,)).fetchone()[0]
    return conn.execute(MANY, (match, first, since, limit)).fetchall()


def index_query(conn: sqlite3.Connection, query: str) -> str | None:
    """The FTS5 query for `query` ('' when nothing can match), or None when there are too many trigrams to OR."""
    if len(query) >= SHORTEST_INDEXED:
        return fts_phrase(query)
    start = fold(query)
    trigrams = [term for (term,) in conn.execute(TRIGRAMS_STARTING, (start, start + LAST_CHARACTER,
                                                                     MOST_TRIGRAMS + 1))]
    if len(trigrams) > MOST_TRIGRAMS:
        return None
    return " OR ".join(fts_phrase(term) for term in trigrams)


def has_index(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name='message_search'").fetchone() is not None


def has_pending_list(conn: sqlite3.Connection) -> bool:
    """A store whose SQLite has no trigram tokenizer has no index, so nothing waits for it."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name='message_search_pending'").fetchone() is not None


def fts_phrase(query: str) -> str:
    """The query as one FTS5 string: inside double quotes nothing is syntax but a doubled quote."""
    return '"' + query.replace('"', '""') + '"'


def hit(row: sqlite3.Row, query: str, reveal: bool) -> HistoryHit:
    text = row["text"]
    spans = find_spans(text, query)
    if not reveal:
        text, spans = masked(text, spans)
    return HistoryHit(
        chat_id=row["chat_id"], customer_name=row["customer_name"], chat_state=row["chat_state"],
        message_id=row["id"], seq=row["seq"], author=row["author"], created_at=row["created_at"],
        text=text, spans=spans, private=bool(row["private"]),
    )


def fold(text: str) -> str:
    """Lower case character by character, so offsets in the folded text are offsets in the text ('İ'.lower()
    is two characters: such a character is left as it is)."""
    return "".join(low if len(low := char.lower()) == 1 else char for char in text)


def find_spans(text: str, query: str) -> tuple[tuple[int, int], ...]:
    haystack, needle = fold(text), fold(query)
    spans, start = [], haystack.find(needle)
    while start >= 0:
        spans.append((start, start + len(needle)))
        start = haystack.find(needle, start + len(needle))
    return tuple(spans)


def masked(text: str, spans: tuple[tuple[int, int], ...]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The text with personal data masked, and the spans moved to match; a span touching a masked number covers
    the whole of its masked form (the agent searched for a number: it is found, and stays masked)."""
    pieces: list[tuple[int, int, str]] = []  # (start, end) in the text, and what replaces it
    last = 0
    for pii in find_pii(text):
        if pii.start >= last:
            pieces.append((pii.start, pii.end, pii.masked))
            last = pii.end
    if not pieces:
        return text, spans

    def moved(offset: int, is_end: bool) -> int:
        shift = 0
        for start, end, replacement in pieces:
            if offset <= start:
                break
            if offset < end or (is_end and offset == end):
                return start + shift + (len(replacement) if is_end else 0)
            shift += len(replacement) - (end - start)
        return offset + shift

    out, last = [], 0
    for start, end, replacement in pieces:
        out += [text[last:start], replacement]
        last = end
    merged: list[tuple[int, int]] = []
    for start, end in ((moved(start, False), moved(end, True)) for start, end in spans):
        if merged and start <= merged[-1][1]:  # two matches inside one masked number are one mark
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return "".join(out) + text[last:], tuple(merged)
