"""Headless quick-reply commands: `agent-console search`, `agent-console library import|export`."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from cli.inert_output import terminal_of
from cli.lint_commands import load_settings_linter
from cli.output import EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, cut_to_cells, print_json
from console.config import Settings
from local_cache.database import StoreError
from local_cache.store import LocalStore, profile_path
from quick_replies.library import QuickReply, load_library
from quick_replies.library_editing import LibraryEditError, PersonalLibrary
from quick_replies.library_files import (
    FORMATS,
    ImportError_,
    export_text,
    parse_records,
    read_records,
    write_atomically,
)
from quick_replies.reply_library import ReplyLibrary, serious_findings
from widgets.inert_text import inert

PROGRESS_FROM = 200  # entries; smaller imports finish before a bar would be worth drawing


def agent_usage(settings: Settings) -> dict[str, tuple[int, float]]:
    """How often and how lately this agent inserted each entry, so results rank as in the console's panel.
    Read only if the profile's store exists: a search never creates one."""
    path = profile_path(settings.data_dir, settings.profile)
    if not path.exists():
        return {}
    try:
        store = LocalStore(path)
        try:
            return store.reply_usage.counts()
        finally:
            store.close()
    except StoreError as error:
        print(f"warning: ranking without usage history: {error}", file=sys.stderr)
        return {}


def run_search(settings: Settings, query: str, as_json: bool, limit: int) -> int:
    # The console's own library, sharing its caches; no linter here: only the hits shown are linted, below.
    replies = ReplyLibrary(settings.library_dirs(), settings.search_cache)
    for problem in replies.library.problems:
        print(f"warning: {problem}", file=sys.stderr)
    hits = replies.hits(query, agent_usage(settings), limit)
    linter = load_settings_linter(settings)
    rows = [
        {
            "kind": hit.doc.kind,
            "title": hit.doc.title,
            "score": round(hit.score, 2),
            "id": hit.doc.key,
            "shortcut": hit.doc.shortcut,
            "text": hit.doc.body,
            "highlights": {name: list(positions) for name, positions in hit.highlights.items()},
            # what the phrase linter says of the text it inserts (errors and warnings)
            "lint": [{"level": f.level, "rule": f.rule, "message": f.message}
                     for f in serious_findings(linter, hit.doc)],
        }
        for hit in hits
    ]
    if as_json:
        print_json(rows)
        return EXIT_OK
    if not rows:
        print(f"nothing matches “{inert(query)}”")
    for place, row in enumerate(rows, 1):  # the score (in --json) ranks; its size means nothing to a reader
        shortcut = f" /{row['shortcut']}" if row["shortcut"] else ""
        print(f"{place:>8}. {row['kind']:<5} {inert(row['title'])}{shortcut}")
        print(f"          {cut_to_cells(inert(' '.join(row['text'].split())), 100)}")
        for finding in row["lint"]:
            print(f"          {finding['level']}: {inert(finding['message'])}")
    return EXIT_OK


def run_library_import(settings: Settings, path: Path) -> int:
    try:
        raw_replies, raw_faqs = read_records(path)
    except ImportError_ as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    replies, faqs, problems = parse_records(path, raw_replies, raw_faqs, default_folder=path.stem)
    for problem in problems:
        print(f"warning: {problem} (skipped)", file=sys.stderr)
    library = load_library(settings.library_dirs())
    personal = PersonalLibrary(settings.personal_library)
    total = len(replies) + len(faqs)
    # The bar's own cursor moves go to the terminal as they are; the file's name in it is made inert, and
    # escaped: Rich reads a task's description as markup.
    with Progress(console=Console(file=terminal_of(sys.stderr)), transient=True,
                  disable=total < PROGRESS_FROM) as progress:
        task = progress.add_task(escape(inert(f"importing {path.name}")), total=total)
        try:
            warnings = personal.import_entries(library, replies, faqs,
                                               progress=lambda done: progress.update(task, completed=done))
        except LibraryEditError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_USAGE
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for note in shadowed_by_import(settings, replies):
        print(f"note: {note}", file=sys.stderr)
    print(f"imported {len(replies)} replies and {len(faqs)} FAQ entries into {settings.personal_library}"
          + (f"; skipped {len(problems)}" if problems else ""))
    return EXIT_OK


def shadowed_by_import(settings: Settings, replies: list[QuickReply]) -> list[str]:
    """The library's notes on shortcuts the imported replies took from the team's or the starter's entries
    (a shortcut of yours that shadowed one before this import is not news)."""
    taken = {f"/{reply.shortcut}:" for reply in replies if reply.shortcut}
    return [note for note in load_library(settings.library_dirs()).notes if note.split(" ", 1)[0] in taken]


def run_library_export(settings: Settings, path: Path, kind: str) -> int:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        print(f"error: {path}: unknown format; use .yaml, .yml, .toml, .json or .csv", file=sys.stderr)
        return EXIT_USAGE
    library = load_library(settings.library_dirs())
    for problem in library.problems:
        print(f"warning: {problem}", file=sys.stderr)
    replies, faqs = list(library.replies.values()), list(library.faqs)
    try:
        write_atomically(path, export_text(replies, faqs, fmt, kind))
    except OSError as error:  # an unwritable or missing folder, a full disk: the library itself is untouched
        print(f"error: cannot write {path}: {error.strerror or error}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    count = (len(faqs) if kind == "faq" else len(replies)) if fmt == "csv" else len(replies) + len(faqs)
    print(f"exported {count} entries to {path}")
    return EXIT_OK
