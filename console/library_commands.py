"""Headless quick-reply commands: `agent-console search`."""

from __future__ import annotations

import sys

from console.config import Settings
from console.headless import EXIT_OK, print_json
from quick_replies.library import load_library
from quick_replies.search import documents, search
from widgets.inert_text import inert


def run_search(settings: Settings, query: str, as_json: bool, limit: int) -> int:
    library = load_library(settings.library_dirs())
    for problem in library.problems:
        print(f"warning: {problem}", file=sys.stderr)
    hits = search(documents(library), query, limit=limit)
    rows = [
        {
            "kind": hit.doc.kind,
            "title": hit.doc.title,
            "score": round(hit.score, 2),
            "id": hit.doc.key,
            "shortcut": hit.doc.shortcut,
            "text": hit.doc.body,
            "highlights": {name: list(positions) for name, positions in hit.highlights.items()},
        }
        for hit in hits
    ]
    if as_json:
        print_json(rows)
        return EXIT_OK
    if not rows:
        print(f"nothing matches {query!r}")
    for row in rows:
        shortcut = f" /{row['shortcut']}" if row["shortcut"] else ""
        print(f"{row['score']:>8.1f}  {row['kind']:<5} {inert(row['title'])}{shortcut}")
        print(f"          {inert(' '.join(row['text'].split()))[:100]}")
    return EXIT_OK
