"""What the reply library hands a reader: one plain row per entry or folder, no Textual in it.

The console's panel (widgets/screens/reply_panel.py) shows these rows; quick_replies/reply_library.py makes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from quick_replies.search import SearchDoc, SearchHit


@dataclass(frozen=True)
class ReplyResult:
    key: str
    kind: str  # reply | faq | folder
    title: str
    preview: str
    shortcut: str = ""
    title_highlights: tuple[int, ...] = ()
    preview_highlights: tuple[int, ...] = ()
    flag_level: str = ""  # the phrase linter's worst finding in the text: error | warning | ""
    flag: str = ""  # its message
    # Listed for an empty query (browsing): which part of the list the row belongs to (recent | folders), and
    # for a folder row (kind "folder") how many entries it holds and its layer (0 starter, 1 team, 2 mine).
    section: str = ""
    count: int = 0
    layer: int = -1


def result_view(hit: SearchHit, flag_level: str = "", flag: str = "") -> ReplyResult:
    return ReplyResult(
        key=hit.doc.key,
        kind=hit.doc.kind,
        title=hit.doc.title,
        preview=hit.doc.body,
        shortcut=hit.doc.shortcut,
        title_highlights=hit.highlights.get("title", ()),
        preview_highlights=hit.highlights.get("body", ()),
        flag_level=flag_level,
        flag=flag,
    )


def entry_view(doc: SearchDoc, flag_level: str = "", flag: str = "", section: str = "") -> ReplyResult:
    """An entry listed without a query: nothing to highlight."""
    return ReplyResult(key=doc.key, kind=doc.kind, title=doc.title, preview=doc.body, shortcut=doc.shortcut,
                       flag_level=flag_level, flag=flag, section=section)
