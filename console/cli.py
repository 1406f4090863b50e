"""The `agent-console` command: the TUI by default, plus headless subcommands."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from console.config import BACKEND_ENV, CONFIG_ENV, TOKEN_ENV, ConfigError, Settings, resolve_settings
from console.inert_output import inert_output
from local_cache.database import CorruptStore, StoreError
from local_cache.recovery import move_aside_and_salvage
from local_cache.store import LocalStore, profile_path
from quick_replies import fuzzy_pinyin
from quick_replies.lint_rules import RulesUnavailable, load_rules

DESCRIPTION = """\
Keyboard-driven console for customer-service agents handling many live chats.

With no backend configured it starts the reference backend with simulated customers on a free
loopback port (the embedded default) and connects to it over HTTP like any other backend."""


def common_options() -> argparse.ArgumentParser:
    # SUPPRESS: a subcommand's copy of an option must not overwrite one given before the subcommand.
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("connection and profile")
    group.add_argument("--backend", metavar="URL", default=argparse.SUPPRESS,
                       help=f"helpdesk backend to connect to (default: ${BACKEND_ENV} or config; none: embedded)")
    group.add_argument("--token", metavar="T", default=argparse.SUPPRESS,
                       help=f"agent bearer token (default: ${TOKEN_ENV} or config); never printed or logged")
    group.add_argument("--agent", metavar="NAME", default=argparse.SUPPRESS,
                       help="agent profile: one local store per profile (default: config, else 'demo' "
                            "for the embedded backend and 'default' otherwise)")
    group.add_argument("--data-dir", metavar="DIR", type=Path, default=argparse.SUPPRESS,
                       help="where local stores live (default: the platform's user data dir)")
    group.add_argument("--recover-store", action="store_true", default=argparse.SUPPRESS,
                       help="if the profile's store file is damaged, move it aside (never delete it), carry its "
                            "unsent messages over to a fresh store, and go on")
    group.add_argument("--config", metavar="FILE", type=Path, default=argparse.SUPPRESS,
                       help=f"config file (TOML; keys backend, token, agent, data_dir, library, alerts, language, "
                            f"[sla], [keys]; default: "
                            f"${CONFIG_ENV} or the platform's user config dir)")
    return parent


def build_parser() -> argparse.ArgumentParser:
    from backend.server import add_serve_arguments

    common = common_options()
    parser = argparse.ArgumentParser(
        prog="agent-console", description=DESCRIPTION, parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo = parser.add_argument_group("embedded default")
    demo.add_argument("--simulate", type=int, default=6, metavar="N",
                      help="simulated customer chats on the embedded backend (default: 6)")
    demo.add_argument("--sim-pace", type=float, default=1.0, metavar="X",
                      help="multiply simulated customers' delays by X (default: 1.0)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the reference backend standalone",
                                description="Run the reference helpdesk backend (API in docs/api.md).")
    add_serve_arguments(serve)

    chats = commands.add_parser("chats", parents=[common], help="list chats from the local store",
                                description="List chats (id, customer, state, unread). Pulls from the backend "
                                            "first when one is configured.")
    chats.add_argument("--json", action="store_true", help="print a JSON list")
    chats.add_argument("--offline", action="store_true", help="read the local store only, do not contact the backend")

    history = commands.add_parser("history", parents=[common], help="print one chat's messages",
                                  description="Print a chat's messages (id, author, text, time, delivery state).")
    history.add_argument("--chat", required=True, metavar="ID", help="chat id (see `agent-console chats`)")
    history.add_argument("--json", action="store_true", help="print a JSON list")
    history.add_argument("--offline", action="store_true", help="read the local store only")
    history.add_argument("--reveal", action="store_true",
                         help="show personal data (phone, ID and card numbers, e-mail) in clear instead of masked; "
                              "each reveal is logged in the profile's store, as the console's f9 is")

    sync = commands.add_parser("sync", parents=[common], help="push the outbox and pull changes",
                               description="Push the outbox and pull the change feed until interrupted, or with "
                                           "--once drain the outbox and exit. " + EXIT_STATUSES)
    sync.add_argument("--once", action="store_true", help="drain the outbox (retrying transient failures for up "
                      "to 30 s), pull, then exit (default: run until interrupted)")
    sync.add_argument("--json", action="store_true", help="print the --once report as JSON")

    send = commands.add_parser("send", parents=[common], help="queue a message to a chat",
                               description="Commit a message to the outbox and exit once it is durable; the "
                                           "console or `sync` delivers it. " + EXIT_STATUSES)
    send.add_argument("--chat", required=True, metavar="ID", help="chat id (see `agent-console chats`)")
    send.add_argument("text", metavar="TEXT", help="the message; '-' reads it from standard input")
    send.add_argument("--wait", action="store_true", help="also wait until the backend has accepted it")
    send.add_argument("--timeout", type=float, default=60.0, metavar="S",
                      help="with --wait: give up waiting after S seconds (the message stays queued; default 60)")
    send.add_argument("--override-reason", metavar="TEXT",
                      help="send despite error-level findings of the phrase linter; the reason is recorded "
                           "with the message (without it such a message is refused with exit status 2)")

    lint = commands.add_parser("lint", parents=[common], help="check a message against the phrase rules",
                               description="Check TEXT (or standard input) against the forbidden-phrase rules "
                                           "and personal-data detectors an outgoing message is checked "
                                           "against. Prints line:col, level, rule, message and suggestion; "
                                           "exit status 1 if any finding is an error.")
    lint.add_argument("text", metavar="TEXT", nargs="?", help="the message; '-' or nothing reads standard input")
    lint.add_argument("--json", action="store_true",
                      help="print a JSON list of findings (level, rule, category, message, start, end, "
                           "suggestions)")

    box = commands.add_parser("outbox", parents=[common], help="list outbox items",
                              description="List outbox items with state (queued, sending, sent, rejected), "
                                          "attempts and last error.")
    box.add_argument("--json", action="store_true", help="print a JSON list")

    find = commands.add_parser("search", parents=[common], help="search quick replies and the FAQ",
                               description="Search the quick-reply library and FAQ (starter, the team's "
                                           "'library' directory from the config, and DATA_DIR/library) with the "
                                           "console's engine: Chinese, pinyin, initials, typos; terms joined by "
                                           "spaces or '+' must all match.")
    find.add_argument("query", metavar="QUERY", help="e.g. tk, tuikuan, 退款, 'refnd', 无法登录+安卓")
    find.add_argument("--json", action="store_true", help="print a JSON list (title, kind, score, ...)")
    find.add_argument("--limit", type=int, default=10, metavar="N", help="at most N results (default 10)")

    library = commands.add_parser("library", help="import or export quick replies and FAQ entries",
                                  description="Import into the personal library of --data-dir, or export the "
                                              "whole library. Formats by extension: .yaml/.yml, .toml, .json, "
                                              ".csv (header row: replies title,body,shortcut,tags,folder,language; "
                                              "FAQ question,answer,keywords,category; tags and keywords ';'-"
                                              "separated; the kind is told by the columns).")
    library_commands = library.add_subparsers(dest="library_command", metavar="ACTION", required=True)
    importing = library_commands.add_parser("import", parents=[common], help="import FILE into the personal library",
                                            description="Import FILE into DATA_DIR/library; bad entries are "
                                                        "reported with file and line and skipped.")
    importing.add_argument("file", metavar="FILE", type=Path)
    exporting = library_commands.add_parser("export", parents=[common], help="export the library to FILE",
                                            description="Export every reply and FAQ entry (starter, team, personal) "
                                                        "to FILE. CSV holds one kind: --kind.")
    exporting.add_argument("file", metavar="FILE", type=Path)
    exporting.add_argument("--kind", choices=["reply", "faq"], default="reply",
                           help="for .csv: which kind to write (default: reply)")
    return parser


EXIT_STATUSES = (
    "Exit status: 0 done (with --once/--wait: nothing left waiting), 1 backend unavailable or items still "
    "waiting, 2 usage or store error or the bundled phrase rules missing, 3 some items rejected, 4 the backend "
    "refused the token, 141 the reader of the output went away (`| head`)."
)


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
            # Every print shows customers', backends' and files' text inert (console/inert_output.py); `serve`
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
    from console import headless, outbox_commands

    if args.command == "chats":
        return headless.run_chats(settings, args.json, args.offline)
    if args.command == "history":
        from console.history_command import run_history

        return run_history(settings, args.chat, args.json, args.offline, args.reveal)
    if args.command == "send":
        return outbox_commands.run_send(settings, args.chat, args.text, args.wait, args.timeout,
                                        args.override_reason)
    if args.command == "lint":
        from console import lint_commands

        return lint_commands.run_lint(settings, args.text, args.json)
    if args.command == "outbox":
        return outbox_commands.run_outbox(settings, args.json)
    if args.command in ("search", "library"):
        from console import library_commands

        if args.command == "search":
            return library_commands.run_search(settings, args.query, args.json, args.limit)
        if args.library_command == "import":
            return library_commands.run_library_import(settings, args.file)
        return library_commands.run_library_export(settings, args.file, args.kind)
    return headless.run_sync(settings, args.once, args.json)


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
            return ReferenceApiClient(settings.backend_url, settings.token)

    try:
        app = AgentConsoleApp(store_path, open_client, library_dirs=settings.library_dirs(),
                              library_cache=settings.search_cache, rule_dirs=settings.rule_dirs(),
                              alerts=settings.alerts, sla=settings.sla, keys=settings.keys,
                              language=settings.language)
        app.run()
    finally:
        if embedded is not None:
            embedded.stop()
    # After a crash Textual prints the traceback and run() returns normally: the exit status must say it failed.
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
