"""`agent-console history`: one chat's messages, with personal data masked as the console shows it.

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
         "delivery": e.delivery}
        for e in entries
    ]
    if as_json:
        print_json(rows)
        return EXIT_OK
    for row in rows:
        delivery = f" [{row['delivery']}]" if row["delivery"] else ""
        lines = inert(row["text"]).split("\n")
        print(f"{row['time']} {inert(row['author'])}{delivery}: {lines[0]}")
        for line in lines[1:]:
            print(f"    {line}")
    return EXIT_OK
