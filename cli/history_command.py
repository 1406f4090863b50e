"""`agent-console history`: one chat's messages, or with --search every message containing a text (open and
closed chats), with personal data masked as the console shows it.

`--reveal` shows them in clear, and is logged exactly as the console's f9 is (the store's pii_reveals table:
PIPL asks that every operation on personal data leaves a trace), before anything is printed.
"""

from __future__ import annotations

import sys

from cli.output import EXIT_OK, EXIT_USAGE, iso_time, print_json
from cli.sync_commands import refresh_from_backend
from console.config import Settings
from local_cache.store import LocalStore
from quick_replies.pii import mask_all
from widgets.inert_text import inert


def run_history(settings: Settings, chat_id: str, as_json: bool, offline: bool, reveal: bool = False) -> int:
    refresh_from_backend(settings, offline)
    store = LocalStore.for_profile(settings.data_dir, settings.profile)
    try:
        if not store.chats.exists(chat_id):
            print(f"error: no chat “{inert(chat_id)}” in {store.path} (see `agent-console chats`)", file=sys.stderr)
            return EXIT_USAGE
        entries = store.chats.transcript(chat_id)
        if reveal:
            store.audit.record_pii_reveal(chat_id)
    finally:
        store.close()
    if reveal:
        print("personal data shown in clear; this reveal is logged", file=sys.stderr)
    shown = (lambda text: text) if reveal else mask_all
    rows = [
        {"id": e.key, "author": e.author, "text": shown(e.text), "time": iso_time(e.created_at),
         "delivery": e.delivery, "private": e.private,
         "attachments": [{"name": shown(a.name), "type": a.type, "size": a.size, "url": shown(a.url)}
                         for a in e.attachments]}
        for e in entries
    ]
    if as_json:
        print_json(rows)
        return EXIT_OK
    for row in rows:
        delivery = f" [{row['delivery']}]" if row["delivery"] else ""
        lines = inert(row["text"]).split("\n")
        note = " (internal note)" if row["private"] else ""  # agents only: never what the customer read
        print(f"{row['time']} {inert(row['author'])}{note}{delivery}: {lines[0]}")
        for line in lines[1:]:
            print(f"    {line}")
        for attachment in row["attachments"]:  # a link is data: printed as characters, never opened
            print(f"    [attachment] {inert(attachment['name'])} ({inert(attachment['type']) or '?'}, "
                  f"{attachment['size']} bytes) {inert(attachment['url'])}")
    return EXIT_OK


def run_history_search(settings: Settings, text: str, limit: int, as_json: bool, offline: bool,
                       reveal: bool = False) -> int:
    """Every message in the local store containing `text`, newest first; `--reveal` logs a reveal per chat shown."""
    if limit < 1:
        print("error: --limit must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    refresh_from_backend(settings, offline)
    store = LocalStore.for_profile(settings.data_dir, settings.profile)
    try:
        hits = store.history.search(text, limit=limit, reveal=reveal)
    finally:
        store.close()
    if reveal and hits:
        print("personal data shown in clear; this reveal is logged", file=sys.stderr)
    rows = [
        {"chat": hit.chat_id, "customer": hit.customer_name, "state": hit.chat_state, "id": hit.message_id,
         "seq": hit.seq, "author": hit.author, "private": hit.private, "time": iso_time(hit.created_at),
         "text": hit.text,
         "spans": [list(span) for span in hit.spans]}
        for hit in hits
    ]
    if as_json:
        print_json(rows)
        return EXIT_OK
    if not hits:
        print(f"no message contains “{inert(text.strip())}”", file=sys.stderr)
    for hit, row in zip(hits, rows):
        lines = marked(hit.text, hit.spans).split("\n")
        note = " (internal note)" if hit.private else ""
        print(f"{row['time']} {inert(hit.customer_name)} ({inert(hit.chat_id)}, {inert(hit.chat_state)}) "
              f"{inert(hit.author)}{note}: {lines[0]}")
        for line in lines[1:]:
            print(f"    {line}")
    return EXIT_OK


MATCH_OPEN, MATCH_CLOSE = "⟦", "⟧"  # plain characters: output is inert, so no terminal styling reaches it


def marked(text: str, spans: tuple[tuple[int, int], ...]) -> str:
    """The text made inert, each match between ⟦ ⟧ (inert piece by piece: it keeps the marks where they were)."""
    pieces, last = [], 0
    for start, end in spans:
        pieces += [inert(text[last:start]), MATCH_OPEN, inert(text[start:end]), MATCH_CLOSE]
        last = end
    return "".join(pieces) + inert(text[last:])
