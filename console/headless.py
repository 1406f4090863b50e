"""Headless subcommands over the same store and sync engine as the TUI: chats, history, sync."""
# Exit statuses shared by the headless commands (documented in `agent-console sync --help`).

from __future__ import annotations

import asyncio
import json
import logging
import re
import signal
import sys
from datetime import datetime, timezone

from rich.cells import cell_len, set_cell_size

from console.config import Settings
from local_cache import sync_engine
from local_cache.backend_client import AuthenticationRejected, BackendError
from local_cache.reference_client import ReferenceApiClient
from local_cache.store import LocalStore
from local_cache.sync_engine import SyncEngine, SyncReport
from widgets.inert_text import inert

EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, EXIT_REJECTED, EXIT_AUTH = 0, 1, 2, 3, 4


def iso_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


# JSON escapes C0 controls itself; C1 controls and bidi overrides would pass through raw and reach the
# terminal, so they are written as \u escapes too. Everything else (Chinese) stays readable.
UNSAFE_IN_JSON = re.compile("[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def print_json(value) -> None:
    text = json.dumps(value, ensure_ascii=False, indent=2)
    print(UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text))


def cut_to_cells(text: str, width: int) -> str:
    """`text` cut to at most `width` terminal cells (a Chinese character takes two)."""
    return text if cell_len(text) <= width else set_cell_size(text, width).rstrip()


def table_lines(header: list[str], rows: list[list[str]], right_aligned: frozenset[int] = frozenset()) -> list[str]:
    """Columns as wide as their widest text in terminal cells, not characters, so Chinese text lines up."""
    widths = [max(cell_len(text) for text in column) for column in zip(header, *rows)]

    def line(texts: list[str]) -> str:
        padded = []
        for index, (text, width) in enumerate(zip(texts, widths)):
            gap = " " * (width - cell_len(text))
            padded.append(gap + text if index in right_aligned else text + gap)
        return "  ".join(padded).rstrip()

    return [line(header), *(line(row) for row in rows)]


def make_engine(settings: Settings, **options) -> SyncEngine:
    return SyncEngine(
        lambda: LocalStore.for_profile(settings.data_dir, settings.profile),
        lambda: ReferenceApiClient(settings.backend_url, settings.token),
        **options,
    )


def refresh_from_backend(settings: Settings, offline: bool) -> None:
    """Bring the cache up to date first when a backend is configured; cached data still shows if it is down."""
    if offline or not settings.backend_url:
        return
    try:
        asyncio.run(make_engine(settings).sync_once())
    except BackendError as error:
        print(f"warning: backend unreachable, showing cached data: {error.detail}", file=sys.stderr)


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


def run_sync(settings: Settings, once: bool, as_json: bool) -> int:
    if not settings.backend_url:
        print("error: sync needs a backend: --backend URL and a token (--token or $AGENT_CONSOLE_TOKEN)",
              file=sys.stderr)
        return EXIT_USAGE
    if not once:
        return run_sync_forever(settings)
    try:
        report = asyncio.run(make_engine(settings).sync_once())
    except AuthenticationRejected as error:
        print(f"error: {error.detail}; sign in again with a valid token", file=sys.stderr)
        return EXIT_AUTH
    except BackendError as error:
        print(f"error: {error.detail}; the outbox is kept and goes with the next sync", file=sys.stderr)
        return EXIT_UNAVAILABLE
    if as_json:
        print_json(report.__dict__)
    else:
        print(describe(report))
    if report.rejected:
        return EXIT_REJECTED
    return EXIT_OK if report.waiting == 0 else EXIT_UNAVAILABLE


def describe(report: SyncReport) -> str:
    text = (
        f"sent {report.sent}, rejected {report.rejected}, still waiting {report.waiting}, "
        f"pulled {report.pulled_messages} message(s)"
    )
    if report.pushed_elsewhere:
        text += " (another process holds the push lock and is sending)"
    return text


def run_sync_forever(settings: Settings) -> int:
    """Runs until interrupted. A backend that is down is waited for; one that answers wrongly at the first contact
    (a 404 from /me: the wrong URL; an answer that is not the API) is a misconfiguration, reported in one line.
    After the first contact nothing stops it: problems are logged to stderr, one line each, as they come and go."""
    engine = make_engine(settings, fail_fast=True)
    log_handler = logging.StreamHandler(sys.stderr)
    log_handler.setFormatter(logging.Formatter("%(asctime)s sync: %(message)s", "%H:%M:%S"))
    logging.getLogger(sync_engine.__name__).addHandler(log_handler)
    logging.getLogger(sync_engine.__name__).setLevel(logging.INFO)

    async def main() -> None:
        task = asyncio.create_task(engine.run())
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            pass

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    except AuthenticationRejected as error:
        print(f"error: {error.detail}; sign in again with a valid token", file=sys.stderr)
        return EXIT_AUTH
    except BackendError as error:
        print(f"error: {error.detail}; is --backend the right address?", file=sys.stderr)
        return EXIT_UNAVAILABLE
    finally:
        logging.getLogger(sync_engine.__name__).removeHandler(log_handler)
    return EXIT_OK
