"""Headless commands over the same store and sync engine as the TUI: `agent-console sync`, and the refresh
`chats` and `history` make before they read the store."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from cli.output import EXIT_AUTH, EXIT_OK, EXIT_REJECTED, EXIT_UNAVAILABLE, EXIT_USAGE, print_json
from console.config import Settings
from local_cache import sync_engine
from local_cache.backend_choice import open_backend_client
from local_cache.backend_client import AuthenticationRejected, BackendError
from local_cache.store import LocalStore
from local_cache.sync_engine import SyncEngine, SyncReport


def make_engine(settings: Settings, **options) -> SyncEngine:
    return SyncEngine(
        lambda: LocalStore.for_profile(settings.data_dir, settings.profile),
        lambda: open_backend_client(settings.backend_url, settings.token),
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
        try:
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
        except NotImplementedError:  # Windows' event loop has no signal handlers: ctrl+c (KeyboardInterrupt) stops it
            pass
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
