"""The reference backend's own SQLite database: chats, messages, the change log and idempotency records.

All access happens on the server's event loop thread (one connection, short statements), which keeps the
change log's cursor strictly increasing in commit order without extra locking.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from backend.orders import OrderBook

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chats (
    id TEXT PRIMARY KEY,
    customer_name TEXT NOT NULL,
    customer_title TEXT NOT NULL DEFAULT '',
    vip INTEGER NOT NULL DEFAULT 0,
    channel TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'zh',
    state TEXT NOT NULL DEFAULT 'opened',
    priority TEXT NOT NULL DEFAULT 'normal',
    tags TEXT NOT NULL DEFAULT '[]',
    profile TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    customer_id TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    chat_id TEXT NOT NULL REFERENCES chats(id),
    seq INTEGER NOT NULL,
    author TEXT NOT NULL CHECK (author IN ('agent', 'customer', 'system')),
    text TEXT NOT NULL,
    created_at REAL NOT NULL,
    client_key TEXT,
    private INTEGER NOT NULL DEFAULT 0,
    attachments TEXT NOT NULL DEFAULT '[]',
    transfer TEXT,
    UNIQUE (chat_id, seq)
);
CREATE TABLE IF NOT EXISTS events (
    cursor INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    message_id TEXT
);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at REAL NOT NULL
);
-- Where each of the simulator's customers is in its script (one row per simulated slot), so a restarted
-- server continues the same chats instead of opening new ones. `progress` is the simulator's own JSON.
CREATE TABLE IF NOT EXISTS simulated_customers (
    slot INTEGER PRIMARY KEY,
    scenario TEXT NOT NULL,
    progress TEXT NOT NULL
);
-- Customers' orders (backend/orders.py): `items` and `shipping` are JSON; shipping is masked on the way out.
CREATE TABLE IF NOT EXISTS orders (
    order_no TEXT PRIMARY KEY,
    chat_id TEXT NOT NULL REFERENCES chats(id),
    status TEXT NOT NULL,
    items TEXT NOT NULL,
    amount TEXT NOT NULL,
    currency TEXT NOT NULL,
    carrier TEXT NOT NULL DEFAULT '',
    tracking_no TEXT NOT NULL DEFAULT '',
    shipping TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_by_chat ON orders (chat_id, created_at);
-- Files this server serves itself (backend/attachments.py): the simulator's customers' photos and screenshots.
CREATE TABLE IF NOT EXISTS files (
    token TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    content BLOB NOT NULL
);
"""

PRIORITIES = ("urgent", "important", "normal")
# Personal numbers in a profile, and how many leading digits stay visible (domain.md: 138****5678,
# 110101********1234). They leave the server masked unless a reveal asks for them in clear.
PROFILE_NUMBERS = {"phone": 3, "id_number": 6, "bank_card": 6}


def mask_number(number: str, head: int) -> str:
    digits = str(number)
    if len(digits) <= head + 4:
        return "*" * len(digits)
    return digits[:head] + "*" * (len(digits) - head - 4) + digits[-4:]


def masked_profile(profile: dict) -> dict:
    return {
        key: mask_number(value, PROFILE_NUMBERS[key]) if key in PROFILE_NUMBERS and value else value
        for key, value in profile.items()
    }


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict


PRIVATE_FILE = 0o600
SIDECARS = ("-wal", "-shm", "-journal")


def make_private(path: Path) -> None:
    """Customers' names, messages and numbers: only the server's own user may read the database, whatever the
    umask. Created 0600 before SQLite opens it (SQLite gives -wal and -shm the database file's mode); files an
    older version left readable are tightened."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE))
    for file in (path, *(path.with_name(path.name + suffix) for suffix in SIDECARS)):
        try:
            if file.stat().st_mode & 0o777 != PRIVATE_FILE:
                os.chmod(file, PRIVATE_FILE)
        except FileNotFoundError:
            pass


class BackendStore:
    def __init__(self, path: str | Path, clock=time.time):
        self.path = str(path)
        self.clock = clock
        make_private(Path(path))
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA busy_timeout=5000")
        self.conn.executescript(SCHEMA)
        columns = {row["name"] for row in self.conn.execute("PRAGMA table_info(chats)")}
        if "profile" not in columns:  # a database made before customer profiles existed
            self.conn.execute("ALTER TABLE chats ADD COLUMN profile TEXT NOT NULL DEFAULT '{}'")
        message_columns = {row["name"] for row in self.conn.execute("PRAGMA table_info(messages)")}
        if "private" not in message_columns:  # a database made before notes
            self.conn.execute("ALTER TABLE messages ADD COLUMN private INTEGER NOT NULL DEFAULT 0")
        if "attachments" not in message_columns:  # a database made before attachments existed
            self.conn.execute("ALTER TABLE messages ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]'")
        if "transfer" not in message_columns:  # made before a transfer's line said what it was
            self.conn.execute("ALTER TABLE messages ADD COLUMN transfer TEXT")
        if "customer_id" not in columns:  # made before customer ids: each chat its own customer, as it was
            self.conn.execute("ALTER TABLE chats ADD COLUMN customer_id TEXT NOT NULL DEFAULT ''")
            self.conn.execute("UPDATE chats SET customer_id = 'cu_' || substr(id, 4)")
        row = self.conn.execute("SELECT value FROM meta WHERE key='server_id'").fetchone()
        if row is None:
            self.server_id = "srv_" + secrets.token_hex(6)
            self.conn.execute("INSERT INTO meta VALUES ('server_id', ?)", (self.server_id,))
        else:
            self.server_id = row["value"]
        self.orders = OrderBook(self)

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self):
        """One write transaction; nested use joins the outer one so an idempotent request is all-or-nothing."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:  # SQLite may have rolled back already (disk full)
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- reads -------------------------------------------------------------------------------------

    def chats(self) -> list[dict]:
        rows = self.conn.execute("SELECT * FROM chats ORDER BY created_at, id").fetchall()
        return [self._chat_json(r) for r in rows]

    def chat(self, chat_id: str) -> dict | None:
        row = self.conn.execute("SELECT * FROM chats WHERE id=?", (chat_id,)).fetchone()
        return self._chat_json(row) if row else None

    def customer_profile(self, chat_id: str) -> dict | None:
        """The customer's profile in clear (for a logged reveal); None for an unknown chat."""
        row = self.conn.execute("SELECT profile FROM chats WHERE id=?", (chat_id,)).fetchone()
        return json.loads(row["profile"]) if row else None

    def messages_after(self, chat_id: str, after_seq: int, limit: int) -> list[dict]:
        rows = self.conn.execute(
            "SELECT * FROM messages WHERE chat_id=? AND seq>? ORDER BY seq LIMIT ?",
            (chat_id, after_seq, limit),
        ).fetchall()
        return [self._message_json(r) for r in rows]

    def customer_visible_after(self, chat_id: str, after_seq: int, limit: int) -> list[dict]:
        """What the customer's side may see: the customer's and the agents' messages, not the agents' internal notes
        nor the system lines (a transfer's line carries its note, which is internal too)."""
        rows = self.conn.execute(
            "SELECT * FROM messages WHERE chat_id=? AND seq>? AND private=0 AND author!='system' ORDER BY seq LIMIT ?",
            (chat_id, after_seq, limit),
        ).fetchall()
        return [self._message_json(r) for r in rows]

    def message(self, message_id: str) -> dict | None:
        row = self.conn.execute("SELECT * FROM messages WHERE id=?", (message_id,)).fetchone()
        return self._message_json(row) if row else None

    def current_cursor(self) -> int:
        return self.conn.execute("SELECT COALESCE(MAX(cursor), 0) FROM events").fetchone()[0]

    def events_after(self, cursor: int, limit: int = 500) -> list[dict]:
        rows = self.conn.execute(
            "SELECT * FROM events WHERE cursor>? ORDER BY cursor LIMIT ?", (cursor, limit)
        ).fetchall()
        events = []
        for row in rows:
            event = {"cursor": row["cursor"], "type": row["type"], "chat": self.chat(row["chat_id"])}
            if row["message_id"]:
                event["message"] = self.message(row["message_id"])
            events.append(event)
        return events

    # --- writes ------------------------------------------------------------------------------------

    def open_chat(
        self,
        customer_name: str,
        channel: str,
        *,
        customer_title: str = "",
        vip: bool = False,
        language: str = "zh",
        priority: str = "normal",
        profile: dict | None = None,
        at: float | None = None,
        customer_id: str = "",
    ) -> dict:
        """`profile`: what the customer panel shows beyond the name: phone, id_number, orders [{id, item,
        status, amount}]. Sent in clear only by customer_profile(); chat JSON carries it masked.
        `customer_id`: a returning customer's id, so this chat joins their others; '' makes a new customer."""
        now = self.clock() if at is None else at
        chat_id = "ch_" + secrets.token_hex(4)
        customer_id = customer_id or "cu_" + secrets.token_hex(6)
        with self.transaction():
            self.conn.execute(
                "INSERT INTO chats (id, customer_name, customer_title, vip, channel, language, priority,"
                " profile, created_at, updated_at, customer_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (chat_id, customer_name, customer_title, int(vip), channel, language, priority,
                 json.dumps(profile or {}, ensure_ascii=False), now, now, customer_id),
            )
            self._log_event("chat.created", chat_id)
        return self.chat(chat_id)

    def add_message(
        self, chat_id: str, author: str, text: str, *, at: float | None = None, client_key: str | None = None,
        private: bool = False,
        attachments: list[dict] | None = None,
        transfer: dict | None = None,
    ) -> dict:
        """Append a message; a customer writing into a closed chat reopens it (domain state machine). A private
        message (an agent's internal note) changes no state: the customer has not been answered. `attachments`
        as backend/attachments.py checked them."""
        now = self.clock() if at is None else at
        message_id = "m_" + secrets.token_hex(6)
        with self.transaction():
            chat = self.conn.execute("SELECT state, last_seq FROM chats WHERE id=?", (chat_id,)).fetchone()
            if chat is None:
                raise KeyError(chat_id)
            seq = chat["last_seq"] + 1
            self.conn.execute(
                "INSERT INTO messages (id, chat_id, seq, author, text, created_at, client_key, private, attachments,"
                " transfer) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (message_id, chat_id, seq, author, text, now, client_key, int(private),
                 json.dumps(attachments or [], ensure_ascii=False),
                 None if transfer is None else json.dumps(transfer, ensure_ascii=False)),
            )
            new_state = chat["state"]
            if author == "customer" and chat["state"] == "closed" and not private:
                new_state = "opened"
            elif author == "agent" and chat["state"] == "opened" and not private:
                new_state = "in_progress"
            self.conn.execute(
                "UPDATE chats SET last_seq=?, updated_at=?, state=? WHERE id=?", (seq, now, new_state, chat_id)
            )
            self._log_event("message.created", chat_id, message_id)
        return self.message(message_id)

    def update_chat(self, chat_id: str, **fields) -> dict:
        allowed = {"state", "priority", "tags"}
        if not fields.keys() <= allowed:
            raise ValueError(f"cannot update {sorted(fields.keys() - allowed)}")
        if "tags" in fields:
            fields["tags"] = json.dumps(fields["tags"], ensure_ascii=False)
        assignments = ", ".join(f"{name}=?" for name in fields)
        with self.transaction():
            self.conn.execute(
                f"UPDATE chats SET {assignments}, updated_at=? WHERE id=?",
                (*fields.values(), self.clock(), chat_id),
            )
            self._log_event("chat.updated", chat_id)
        return self.chat(chat_id)

    def close_chat_at(self, chat_id: str, at: float) -> None:
        """A chat closed at a time in the past (the simulator's returning customers' earlier chats)."""
        with self.transaction():
            self.conn.execute("UPDATE chats SET state='closed', updated_at=? WHERE id=?", (at, chat_id))
            self._log_event("chat.updated", chat_id)

    # --- the simulator's customers ---------------------------------------------------------------------

    def simulated_customers(self) -> dict[int, tuple[str, dict]]:
        """slot -> (scenario key, progress) as the simulator last saved them."""
        rows = self.conn.execute("SELECT * FROM simulated_customers").fetchall()
        return {row["slot"]: (row["scenario"], json.loads(row["progress"])) for row in rows}

    def save_simulated_customer(self, slot: int, scenario: str, progress: dict) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO simulated_customers (slot, scenario, progress) VALUES (?,?,?) ON CONFLICT (slot) "
                "DO UPDATE SET scenario=excluded.scenario, progress=excluded.progress",
                (slot, scenario, json.dumps(progress, ensure_ascii=False)),
            )

    # --- files this server serves -------------------------------------------------------------------------

    def add_file(self, token: str, name: str, kind: str, content: bytes) -> None:
        with self.transaction():
            self.conn.execute("INSERT INTO files (token, name, type, content) VALUES (?,?,?,?)",
                              (token, name, kind, content))

    def file(self, token: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT name, type, content FROM files WHERE token=?", (token,)).fetchone()

    # --- idempotency -------------------------------------------------------------------------------

    def stored_response(self, key: str) -> tuple[str, StoredResponse] | None:
        row = self.conn.execute("SELECT * FROM idempotency WHERE key=?", (key,)).fetchone()
        if row is None:
            return None
        return row["fingerprint"], StoredResponse(row["status"], json.loads(row["response"]))

    def store_response(self, key: str, fingerprint: str, response: StoredResponse) -> None:
        self.conn.execute(
            "INSERT INTO idempotency (key, fingerprint, status, response, created_at) VALUES (?,?,?,?,?)",
            (key, fingerprint, response.status, json.dumps(response.body, ensure_ascii=False), self.clock()),
        )

    # --- internals ---------------------------------------------------------------------------------

    def _log_event(self, event_type: str, chat_id: str, message_id: str | None = None) -> None:
        self.conn.execute(
            "INSERT INTO events (type, chat_id, message_id) VALUES (?,?,?)", (event_type, chat_id, message_id)
        )

    @staticmethod
    def _chat_json(row: sqlite3.Row) -> dict:
        return {
            "id": row["id"],
            "customer": {
                "id": row["customer_id"], "name": row["customer_name"], "title": row["customer_title"],
                "vip": bool(row["vip"]),
                **masked_profile(json.loads(row["profile"])),
            },
            "channel": row["channel"],
            "language": row["language"],
            "state": row["state"],
            "priority": row["priority"],
            "tags": json.loads(row["tags"]),
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "last_seq": row["last_seq"],
        }

    @staticmethod
    def _message_json(row: sqlite3.Row) -> dict:
        return {
            "id": row["id"],
            "chat_id": row["chat_id"],
            "seq": row["seq"],
            "author": row["author"],
            "text": row["text"],
            "created_at": row["created_at"],
            "client_key": row["client_key"],
            "private": bool(row["private"]),
            "attachments": json.loads(row["attachments"]),
            "transfer": json.loads(row["transfer"]) if row["transfer"] else None,
        }
