"""The `agent-console` command line: its options, subcommands and help texts."""

from __future__ import annotations

import argparse
from pathlib import Path

from console.config import BACKEND_ENV, CONFIG_ENV, TOKEN_ENV

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

    history = commands.add_parser("history", parents=[common], help="print one chat's messages, or search them all",
                                  description="Print a chat's messages (id, author, text, time, delivery state), "
                                              "or with --search every message in the local store that contains "
                                              "TEXT (open and closed chats, newest first, any case).")
    shown = history.add_mutually_exclusive_group(required=True)
    shown.add_argument("--chat", metavar="ID", help="chat id (see `agent-console chats`)")
    shown.add_argument("--search", metavar="TEXT", help="text to find, as typed (quotes, * and OR are text)")
    history.add_argument("--limit", type=int, default=50, metavar="N", help="with --search: at most N hits "
                         "(default 50)")
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
