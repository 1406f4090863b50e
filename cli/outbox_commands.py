"""Headless outbox commands: `agent-console send` and `agent-console outbox`."""

from __future__ import annotations

import asyncio
import sys
import time

from cli.lint_commands import describe, load_settings_linter
from cli.output import (
    EXIT_AUTH,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    cut_to_cells,
    iso_time,
    print_json,
    table_lines,
)
from cli.sync_commands import make_engine
from console.config import Settings
from local_cache.backend_client import AuthenticationRejected, BackendError
from local_cache.models import LintOverride
from local_cache.store import LocalStore
from quick_replies.linter import has_errors
from widgets.inert_text import inert

WHAT_CELLS = 40  # a message's first 40 terminal cells: enough to recognise it, short enough for one line


def run_send(settings: Settings, chat_id: str, text: str, wait: bool, timeout: float,
             override_reason: str | None = None) -> int:
    if text == "-":
        text = sys.stdin.read()
    if wait and not settings.backend_url:
        print("error: --wait needs a backend (--backend URL and a token)", file=sys.stderr)
        return EXIT_USAGE
    findings = load_settings_linter(settings).lint(text)
    for line in describe(text, findings):
        print(line, file=sys.stderr)
    override = None
    if has_errors(findings):
        if not (override_reason or "").strip():
            print("error: not queued: the message has error-level findings; fix them, or send with "
                  "--override-reason TEXT", file=sys.stderr)
            return EXIT_USAGE
        override = LintOverride(override_reason.strip(), [f.as_json() for f in findings if f.level == "error"])
    store = LocalStore.for_profile(settings.data_dir, settings.profile)
    try:
        if not store.chats.exists(chat_id):
            print(f"warning: chat {chat_id!r} is not in {store.path}; queued anyway, the backend decides",
                  file=sys.stderr)
        try:
            item = store.outbox.enqueue_message(chat_id, text, override)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_USAGE
    finally:
        store.close()
    # From here the message is durable: exit 0 means "committed to the outbox", whatever the network does.
    print(f"queued {item.idempotency_key}", file=sys.stderr)
    if not wait:
        return EXIT_OK
    return wait_for_delivery(settings, item.idempotency_key, timeout)


def wait_for_delivery(settings: Settings, key: str, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        try:
            asyncio.run(make_engine(settings).sync_once(lock_wait=1.0, drain_for=max(0.0, deadline - time.monotonic())))
        except AuthenticationRejected as error:
            print(f"error: {error.detail}; sign in again", file=sys.stderr)
            return EXIT_AUTH
        except BackendError as error:
            print(f"warning: {error.detail}", file=sys.stderr)
        item = find_item(settings, key)
        if item is not None and item.state == "sent":
            return EXIT_OK
        if item is not None and item.state == "rejected":
            print(f"error: the backend rejected the message: {item.last_error or ''}", file=sys.stderr)
            return EXIT_REJECTED
        if time.monotonic() >= deadline:
            print(f"still queued after {timeout:g} s; it stays in the outbox and goes with the next sync",
                  file=sys.stderr)
            return EXIT_UNAVAILABLE
        time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))


def find_item(settings: Settings, key: str):
    store = LocalStore.for_profile(settings.data_dir, settings.profile)
    try:
        return next((i for i in store.outbox.items() if i.idempotency_key == key), None)
    finally:
        store.close()


def run_outbox(settings: Settings, as_json: bool) -> int:
    store = LocalStore.for_profile(settings.data_dir, settings.profile)
    try:
        items = store.outbox.items()
    finally:
        store.close()
    rows = [
        {
            "id": item.id,
            "idempotency_key": item.idempotency_key,
            "chat_id": item.chat_id,
            "kind": item.kind,
            "state": item.state,
            "attempts": item.attempts,
            "last_error": item.last_error,
            "created_at": iso_time(item.created_at),
            "body": item.body,
        }
        for item in items
    ]
    if as_json:
        print_json(rows)
        return EXIT_OK
    if not rows:
        print("the outbox is empty")
        return EXIT_OK
    shown = []
    for row in rows:
        what = row["body"].get("text") if row["kind"] == "message" else f"[{row['body'].get('type')}]"
        shown.append([str(row["id"]), row["state"], str(row["attempts"]), inert(row["chat_id"]),
                      cut_to_cells(inert(" ".join(str(what).split())), WHAT_CELLS), inert(row["last_error"] or "")])
    for line in table_lines(["ID", "STATE", "TRIES", "CHAT", "WHAT", "LAST ERROR"], shown,
                            right_aligned=frozenset({0, 2})):
        print(line)
    return EXIT_OK
