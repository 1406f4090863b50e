"""`agent-console chats`: the chats in the local store, refreshed from the backend first when one is set."""

from __future__ import annotations

from cli.output import EXIT_OK, iso_time, print_json, table_lines
from cli.sync_commands import refresh_from_backend
from console.config import Settings
from local_cache.store import LocalStore
from widgets.inert_text import inert


def run_chats(settings: Settings, as_json: bool, offline: bool) -> int:
    refresh_from_backend(settings, offline)
    store = LocalStore.for_profile(settings.data_dir, settings.profile)
    try:
        chats = store.chats.summaries()
    finally:
        store.close()
    where = f"{store.path} (profile {settings.profile!r})"
    rows = [
        {
            "id": chat.id,
            "customer": chat.customer_name,
            "state": chat.state,
            "unread": chat.unread,
            "channel": chat.channel,
            "priority": chat.priority,
            "waiting_since": iso_time(chat.waiting_since) if chat.waiting_since else None,
        }
        for chat in chats
    ]
    if as_json:
        print_json(rows)
        return EXIT_OK
    if not rows:
        print(f"no chats in {where} yet; `agent-console sync --once --backend URL` fetches them")
        return EXIT_OK
    columns = ["id", "state", "unread", "channel", "customer"]
    shown = [[inert(str(row[column])) for column in columns] for row in rows]  # every field came from a server
    for line in table_lines(["ID", "STATE", "UNREAD", "CHANNEL", "CUSTOMER"], shown, right_aligned=frozenset({2})):
        print(line)
    return EXIT_OK
