"""The `agent-console` command: the TUI by default, plus headless subcommands (parsed as cli/parser.py says)."""

from __future__ import annotations

import argparse
import os
import sys

from cli.inert_output import inert_output
from cli.parser import build_parser
from console.config import ConfigError, Settings, resolve_settings
from local_cache.database import CorruptStore, StoreError
from local_cache.recovery import move_aside_and_salvage
from local_cache.store import LocalStore, profile_path
from quick_replies import fuzzy_pinyin
from quick_replies.lint_rules import RulesUnavailable, load_rules


def settings_from(args: argparse.Namespace) -> Settings:
    settings = resolve_settings(
        backend=getattr(args, "backend", None),
        token=getattr(args, "token", None),
        agent=getattr(args, "agent", None),
        data_dir=getattr(args, "data_dir", None),
        config_path=getattr(args, "config", None),
    )
    fuzzy_pinyin.configure(settings.fuzzy_pinyin)  # for the whole process: the console's panel and `search`
    for warning in settings.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return settings


# A reader that went away (`agent-console search tk | head -1`) is not an error of ours; we exit as `cat` or
# `grep` would, killed by SIGPIPE: the shell reports 128 + 13, and `set -o pipefail` scripts see a failure
# that cannot be mistaken for one of the documented statuses 0-4.
EXIT_READER_GONE = 141


def main(argv: list[str] | None = None) -> int:
    try:
        try:
            # Every print shows customers', backends' and files' text inert (cli/inert_output.py); `serve`
            # prints only its own lines and lets uvicorn colour its log.
            with inert_output(enabled=not serving(argv)):
                return run_command(argv)
        finally:
            sys.stdout.flush()  # a closed pipe shows here, where it is handled, not at interpreter exit
    except BrokenPipeError:
        # The recipe in Python's `signal` docs: point stdout at devnull so that the interpreter's own flush at
        # exit finds somewhere to write, and leave quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_READER_GONE


def serving(argv: list[str] | None) -> bool:
    words = [word for word in (sys.argv[1:] if argv is None else argv) if not word.startswith("-")]
    return words[:1] == ["serve"]


def run_command(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from backend.server import run_server

        return run_server(args)
    try:
        settings = settings_from(args)
        try:
            return dispatch(args, settings)
        except CorruptStore as error:
            if not agrees_to_recover(args, error):
                raise
            aside, carried = move_aside_and_salvage(error.path)
            print(f"moved the damaged store to {aside}; carried {carried} unsent item(s) over", file=sys.stderr)
            return dispatch(args, settings)
    except (ConfigError, StoreError, RulesUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command is None:
        return run_console(settings, simulate=args.simulate, pace=args.sim_pace)
    from cli import outbox_commands

    if args.command == "chats":
        from cli.chats_command import run_chats

        return run_chats(settings, args.json, args.offline)
    if args.command == "history":
        from cli.history_command import run_history, run_history_search

        if args.search is not None:
            return run_history_search(settings, args.search, args.limit, args.json, args.offline, args.reveal)
        return run_history(settings, args.chat, args.json, args.offline, args.reveal)
    if args.command == "send":
        return outbox_commands.run_send(settings, args.chat, args.text, args.wait, args.timeout,
                                        args.override_reason)
    if args.command == "lint":
        from cli import lint_commands

        return lint_commands.run_lint(settings, args.text, args.json)
    if args.command == "outbox":
        return outbox_commands.run_outbox(settings, args.json)
    if args.command in ("search", "library"):
        from cli import library_commands

        if args.command == "search":
            return library_commands.run_search(settings, args.query, args.json, args.limit)
        if args.library_command == "import":
            return library_commands.run_library_import(settings, args.file)
        return library_commands.run_library_export(settings, args.file, args.kind)
    from cli.sync_commands import run_sync

    return run_sync(settings, args.once, args.json)


def agrees_to_recover(args: argparse.Namespace, error: CorruptStore) -> bool:
    """Moving a store aside needs the agent's yes: the flag, or an answer at a terminal."""
    if getattr(args, "recover_store", False):
        return True
    if error.path is None or not sys.stdin.isatty():
        return False
    print(f"{error}", file=sys.stderr)
    answer = input(f"Move {error.path.name} aside and start a fresh store? Unsent messages are carried over. [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def run_console(settings: Settings, *, simulate: int, pace: float) -> int:
    from console.app import AgentConsoleApp
    from console.embedded_backend import EmbeddedBackend
    from local_cache.backend_choice import open_backend_client
    from local_cache.reference_client import ReferenceApiClient

    # Problems are reported here, before the TUI takes the screen: rules that cannot be loaded (the App loads
    # them again, from the cache), then the store.
    load_rules(settings.rule_dirs(), settings.search_cache)
    store_path = profile_path(settings.data_dir, settings.profile)
    LocalStore(store_path).close()
    embedded = None
    if settings.backend_url is None:
        embedded = EmbeddedBackend(settings.data_dir, simulate=simulate, pace=pace)
        embedded.spawn()  # boots while the TUI shows the cache; the sync engine waits for it

        def open_client():
            return ReferenceApiClient(embedded.wait_ready(), embedded.token)
    else:

        def open_client():
            return open_backend_client(settings.backend_url, settings.token)

    refresh_team_lists = None
    if settings.chatwoot_replies is not None:
        from local_cache.chatwoot_canned import refresh_canned_library

        async def refresh_team_lists():
            client = open_client()
            try:
                await refresh_canned_library(client, settings.chatwoot_replies)
                return await client.transfer_targets()
            finally:
                await client.aclose()

    try:
        app = AgentConsoleApp(store_path, open_client, library_dirs=settings.library_dirs(),
                              library_cache=settings.search_cache, rule_dirs=settings.rule_dirs(),
                              alerts=settings.alerts, sla=settings.sla, keys=settings.keys,
                              language=settings.language, refresh_team_lists=refresh_team_lists,
                              satisfaction_invite=settings.satisfaction_invite,
                              idle_close_minutes=settings.idle_close_minutes)
        app.run()
    finally:
        if embedded is not None:
            embedded.stop()
    # After a crash Textual prints the traceback and run() returns normally: the exit status must say it failed.
    return app.return_code or 0
