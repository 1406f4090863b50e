"""Opening the agent's SQLite file: pragmas, write transactions and schema migrations."""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

# Each entry upgrades the schema by one version; PRAGMA user_version records how many have run.
# Never edit a shipped migration: append a new one.
# Plain SQL rather than sqlite-utils' create()/add_column(): those have no public way to write the outbox's CHECK
# and AUTOINCREMENT, and a shipped migration is never rewritten: stores made by the old text exist.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE chats (
        id TEXT PRIMARY KEY,
        customer_name TEXT NOT NULL,
        customer_title TEXT NOT NULL DEFAULT '',
        vip INTEGER NOT NULL DEFAULT 0,
        channel TEXT NOT NULL,
        state TEXT NOT NULL,
        priority TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        read_seq INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        chat_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        author TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at REAL NOT NULL,
        client_key TEXT UNIQUE
    );
    CREATE INDEX messages_by_chat ON messages (chat_id, seq);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        idempotency_key TEXT NOT NULL UNIQUE,
        chat_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('message', 'action')),
        body TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'rejected')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        server_message_id TEXT
    );
    CREATE INDEX outbox_pending ON outbox (state, id);
    """,
    # 2: how often and how recently this agent used each quick reply or FAQ entry (search ranking).
    """
    CREATE TABLE reply_usage (key TEXT PRIMARY KEY, count INTEGER NOT NULL, last_used REAL NOT NULL);
    """,
    # 3: a message sent despite error-level linter findings: who let what through, and why (audit trail).
    """
    CREATE TABLE lint_overrides (
        id INTEGER PRIMARY KEY,
        outbox_key TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        findings TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    """,
    # 4: customer messages checked against the incoming rules (up to checked_seq), the first high-risk rule a
    # chat matched; and every time the agent revealed masked personal data (PIPL: operations are logged).
    """
    CREATE TABLE chat_risk (
        chat_id TEXT PRIMARY KEY,
        checked_seq INTEGER NOT NULL DEFAULT 0,
        rule TEXT,
        excerpt TEXT,
        marked_at REAL
    );
    CREATE TABLE pii_reveals (id INTEGER PRIMARY KEY, chat_id TEXT NOT NULL, revealed_at REAL NOT NULL);
    """,
    # 5: what the agent had typed but not sent, per chat: kept across chat switches and restarts.
    """
    CREATE TABLE drafts (chat_id TEXT PRIMARY KEY, text TEXT NOT NULL, updated_at REAL NOT NULL);
    """,
    # 6: SLA timers and the customer panel: when the chat was (re)opened, its tags, the customer's profile
    # (personal numbers arrive masked; the clear form is fetched per reveal and never stored).
    """
    ALTER TABLE chats ADD COLUMN opened_at REAL;
    UPDATE chats SET opened_at = created_at;
    ALTER TABLE chats ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE chats ADD COLUMN profile TEXT NOT NULL DEFAULT '{}';
    """,
    # 7: every transcript read looks up the chat's unsent outbox items and each message's override reason: by
    # index, not by scanning an outbox and an audit trail that only grow.
    """
    CREATE INDEX outbox_by_chat ON outbox (chat_id, state);
    CREATE INDEX lint_overrides_by_key ON lint_overrides (outbox_key);
    """,
    # 8: customer messages the incoming rules could not check (too long, or the linter failed on them): the
    # chat's row says so across restarts, as a high-risk mark does.
    """
    ALTER TABLE chat_risk ADD COLUMN unchecked INTEGER NOT NULL DEFAULT 0;
    """,
    # 9: the first complaint-risk rule a chat matched (12315, a bad review, going public): kept apart from the
    # high-risk (safety) columns, as it marks the chat for care but never escalates it or changes its priority.
    """
    ALTER TABLE chat_risk ADD COLUMN complaint_rule TEXT;
    ALTER TABLE chat_risk ADD COLUMN complaint_excerpt TEXT;
    ALTER TABLE chat_risk ADD COLUMN complaint_at REAL;
    """,
    # 10: how far the feed has brought each chat's messages. A backend whose message ids are sparse (Chatwoot's
    # are global) is asked for what follows this, never for what follows the highest id held: our own message,
    # stored from its delivery answer, can outrank a customer's that the feed has not brought yet.
    """
    ALTER TABLE chats ADD COLUMN pulled_seq INTEGER NOT NULL DEFAULT 0;
    """,
    # 11: history search over every message, open and closed chats (local_cache/history_search.py). A trigram
    # index finds any substring of 3+ characters, Chinese included (no word segmentation needed), ignoring case.
    # It is contentless (the text stays in `messages` only) and triggers keep it in step with every write,
    # whichever path makes it; the update trigger fires only when the text changes, as the feed replays
    # messages unchanged. Each text is indexed with two U+E000 after it, so every occurrence of 1-2 characters
    # starts a trigram (退款 at a message's end too): those queries look their trigrams up in the vocabulary.
    # Rows are keyed by messages' implicit rowid, which a VACUUM may renumber: after one, empty the index
    # ('delete-all') and run the INSERT … SELECT below again.
    """
    CREATE VIRTUAL TABLE message_search USING fts5(text, content='', tokenize='trigram');
    CREATE VIRTUAL TABLE message_search_terms USING fts5vocab(message_search, 'row');
    CREATE TRIGGER message_search_insert AFTER INSERT ON messages BEGIN
        INSERT INTO message_search (rowid, text) VALUES (new.rowid, new.text || char(57344, 57344));
    END;
    CREATE TRIGGER message_search_delete AFTER DELETE ON messages BEGIN
        INSERT INTO message_search (message_search, rowid, text)
            VALUES ('delete', old.rowid, old.text || char(57344, 57344));
    END;
    CREATE TRIGGER message_search_update AFTER UPDATE OF text ON messages WHEN old.text IS NOT new.text BEGIN
        INSERT INTO message_search (message_search, rowid, text)
            VALUES ('delete', old.rowid, old.text || char(57344, 57344));
        INSERT INTO message_search (rowid, text) VALUES (new.rowid, new.text || char(57344, 57344));
    END;
    INSERT INTO message_search (rowid, text) SELECT rowid, text || char(57344, 57344) FROM messages;
    CREATE INDEX messages_by_time ON messages (created_at);
    """,
    # 12: a message is indexed for history search when a search needs it or the console is idle, not in the write
    # that stores it: tokenizing on insert (and FTS5's occasional segment merge) put 20-70% on the slowest
    # catch-up writes (benchmarks/history_search.py). A write now only notes the row as pending; a search first
    # indexes what is pending (local_cache/history_search.py), so no message is ever missing from the results.
    # The index and the pending list never both hold a row, whatever is deleted or rewritten meanwhile.
    """
    CREATE TABLE message_search_pending (message_rowid INTEGER PRIMARY KEY);
    DROP TRIGGER message_search_insert;
    DROP TRIGGER message_search_delete;
    DROP TRIGGER message_search_update;
    CREATE TRIGGER message_search_insert AFTER INSERT ON messages BEGIN
        INSERT INTO message_search_pending (message_rowid) VALUES (new.rowid);
    END;
    CREATE TRIGGER message_search_delete AFTER DELETE ON messages BEGIN
        INSERT INTO message_search (message_search, rowid, text)
            SELECT 'delete', old.rowid, old.text || char(57344, 57344)
            WHERE NOT EXISTS (SELECT 1 FROM message_search_pending WHERE message_rowid = old.rowid);
        DELETE FROM message_search_pending WHERE message_rowid = old.rowid;
    END;
    CREATE TRIGGER message_search_update AFTER UPDATE OF text ON messages WHEN old.text IS NOT new.text BEGIN
        INSERT INTO message_search (message_search, rowid, text)
            SELECT 'delete', old.rowid, old.text || char(57344, 57344)
            WHERE NOT EXISTS (SELECT 1 FROM message_search_pending WHERE message_rowid = old.rowid);
        -- Not OR IGNORE: the upsert that fires this trigger would override it (SQLite's rule for trigger bodies).
        INSERT INTO message_search_pending (message_rowid) SELECT new.rowid
            WHERE NOT EXISTS (SELECT 1 FROM message_search_pending WHERE message_rowid = new.rowid);
    END;
    """,
    # 13: internal notes. A message only agents see (`private`): never the customer's answer, so the list's
    # waiting time and the metrics leave it out. A draft keeps whether its composer was in note mode.
    """
    ALTER TABLE messages ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE drafts ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
    """,
    # 14: the backend's customer id (customer.id): a returning customer's chats share it (the customer panel lists
    # the previous ones). '' for chats cached before it, or from a backend without ids.
    """
    ALTER TABLE chats ADD COLUMN customer_id TEXT NOT NULL DEFAULT '';
    CREATE INDEX chats_by_customer ON chats (customer_id, created_at);
    """,
    # 15: the files a message carries (local_cache/attachments.py), as a JSON array; NULL for none, which is almost
    # every message. A column, not a table: the transcript reads it with the row it already reads (no join,
    # no second query), and attachments are only ever read with their message.
    """
    ALTER TABLE messages ADD COLUMN attachments TEXT;
    """,
    # 16: the transfer a system line records, as the server says it (an action body, JSON; NULL for any other
    # line): a transfer made from another console shows its note as a note too, as this console's own do (their
    # bodies are in the outbox, which the transcript read prefers).
    """
    ALTER TABLE messages ADD COLUMN transfer TEXT;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

# A Python whose SQLite lacks FTS5 or its trigram tokenizer (SQLite < 3.34) still opens the store: migration 11
# then adds only the time index, and history search scans the messages instead (slower, same results).
WITHOUT_TRIGRAM = {10: "CREATE INDEX messages_by_time ON messages (created_at);", 11: ""}


def trigram_available(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.trigram_probe USING fts5(text, tokenize='trigram')")
    except sqlite3.OperationalError:
        return False
    conn.execute("DROP TABLE temp.trigram_probe")
    return True


class StoreError(RuntimeError):
    """The store file cannot be used; the message names the file and what to do."""

    def __init__(self, message: str, path: Path | None = None):
        super().__init__(message)
        self.path = path


class CorruptStore(StoreError):
    """The file is not a readable SQLite database. It is moved aside only when the agent agrees."""


def store_error(error: sqlite3.Error, path: Path, doing: str) -> StoreError:
    """Name the file and say what went wrong in words an agent can act on."""
    name = getattr(error, "sqlite_errorname", "")
    if name in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
        return CorruptStore(
            f"the local store {path} is damaged ({error}); nothing was changed. Start with "
            "--recover-store to move it aside (unsent messages in it are carried over) and begin a fresh one",
            path,
        )
    if name == "SQLITE_FULL":
        return StoreError(f"cannot {doing} {path}: the disk is full; free some space (queued messages are kept)", path)
    read_only = name == "SQLITE_READONLY" or (
        # WAL needs to create -wal and -shm files beside the store, so a read-only folder fails at open.
        name == "SQLITE_CANTOPEN" and not os.access(path.parent, os.W_OK)
    )
    if read_only:
        return StoreError(
            f"cannot {doing} {path}: the file or its folder is read-only; queued messages in it are safe, "
            "make the folder writable or choose another --data-dir",
            path,
        )
    if name in ("SQLITE_BUSY", "SQLITE_LOCKED"):
        return StoreError(f"cannot {doing} {path}: another process kept it locked for over 10 s", path)
    return StoreError(f"cannot {doing} {path}: {error}", path)


PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
SIDECARS = ("-wal", "-shm", "-journal")


def make_private(path: Path) -> None:
    """The store holds customers' phone and ID numbers: only its owner may read it, whatever the umask.

    Missing folders are created 0700 and the store's own folder is tightened to 0700; the file is created 0600
    before SQLite opens it, because SQLite gives its -wal and -shm files the mode of the database file. Files
    left readable by an older version are tightened too.
    """
    missing = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    path.parent.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    for folder in {path.parent, *missing}:
        restrict(folder, PRIVATE_FOLDER)  # mkdir's mode is filtered by the umask; chmod's is not
    if not path.exists():
        try:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE))
        except OSError:
            pass  # a read-only folder: SQLite's own error at open says so in the agent's words
    for file in (path, *(path.with_name(path.name + suffix) for suffix in SIDECARS)):
        restrict(file, PRIVATE_FILE)


def restrict(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o777 != mode:
            os.chmod(path, mode)
    except OSError:
        pass  # gone, another user's or on a read-only mount: nothing this process may change


def open_database(path: Path) -> sqlite3.Connection:
    path = Path(path)
    try:
        make_private(path)
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves; Python's implicit BEGIN would take the
        # write lock late and turn concurrent writers into "database is locked" errors.
        conn = sqlite3.connect(path, isolation_level=None, timeout=10.0, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: an acknowledged enqueue into the outbox survives power loss.
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        migrate(conn, path)
    except sqlite3.Error as error:
        raise store_error(error, path, "open the local store") from error
    except OSError as error:
        raise StoreError(f"cannot create the local store {path}: {error}", path) from error
    return conn


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    with write_transaction(conn):
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{path} has schema version {version}, newer than this agent-console ({SCHEMA_VERSION}); "
                "upgrade agent-console",
                path,
            )
        fallback = {} if version >= SCHEMA_VERSION or trigram_available(conn) else WITHOUT_TRIGRAM
        for number in range(version, SCHEMA_VERSION):
            for statement in statements(fallback.get(number, MIGRATIONS[number])):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={number + 1}")


def statements(script: str) -> list[str]:
    """The script's statements one by one (inside our transaction: executescript would commit first). A trigger's
    body holds semicolons of its own, so a piece is a statement only once SQLite says it is complete."""
    found, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                found.append(pending)
            pending = ""
    if pending.strip(" \n;"):
        found.append(pending)
    return found


@contextmanager
def write_transaction(conn: sqlite3.Connection):
    """BEGIN IMMEDIATE takes the write lock up front, so busy_timeout applies instead of a deadlock error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        # SQLite may already have rolled back (disk full, I/O error); a second ROLLBACK would hide the cause.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
