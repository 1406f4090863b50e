"""The console's view of the quick-reply library: loaded once, reloaded when its files change on disk."""

from __future__ import annotations

import time
from pathlib import Path

from quick_replies.library import STARTER_DIR, FaqEntry, Library, load_library
from quick_replies.library_editing import PersonalLibrary
from quick_replies.placeholders import Filled, fill
from quick_replies.search import SearchDoc, SearchHit, Usage, documents, search
from widgets.reply_panel import ReplyResult


class ReplyLibrary:
    def __init__(self, directories: list[Path]):
        self.directories = directories
        # The last directory is the agent's own: the one that saves and deletes go to.
        if Path(directories[-1]).resolve() == STARTER_DIR.resolve():
            raise ValueError("the last library directory must be the agent's own, not the bundled starter")
        self.personal = PersonalLibrary(directories[-1])
        self.library = Library()
        self.docs: list[SearchDoc] = []
        self._by_key: dict[str, SearchDoc] = {}
        self._fingerprint: tuple = ()
        self.reload()

    def _current_fingerprint(self) -> tuple:
        files = []
        for directory in self.directories:
            if Path(directory).is_dir():
                for path in sorted(Path(directory).glob("*.toml")):
                    stat = path.stat()
                    files.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(files)

    def reload(self) -> None:
        self._fingerprint = self._current_fingerprint()
        self.library = load_library(self.directories)
        self.docs = documents(self.library)
        self._by_key = {doc.key: doc for doc in self.docs}

    def reload_if_changed(self) -> bool:
        """Cheap enough to call every few seconds: one stat per library file."""
        if self._current_fingerprint() == self._fingerprint:
            return False
        self.reload()
        return True

    def search(self, query: str, usage: dict[str, tuple[int, float]], limit: int = 50) -> list[ReplyResult]:
        counts = {key: Usage(count, last) for key, (count, last) in usage.items()}
        return [result_view(hit) for hit in search(self.docs, query, limit=limit, usage=counts, now=time.time())]

    def by_shortcut(self, code: str) -> SearchDoc | None:
        reply = self.library.by_shortcut(code.lower())
        return self._by_key.get(reply.id) if reply else None

    def expand(self, key: str, values: dict[str, str]) -> Filled | None:
        """The text to insert for a result: a reply's body, or an FAQ entry's answer, placeholders filled."""
        doc = self._by_key.get(key)
        if doc is None:
            return None
        template = doc.entry.answer if isinstance(doc.entry, FaqEntry) else doc.entry.body
        return fill(template, values)


def result_view(hit: SearchHit) -> ReplyResult:
    return ReplyResult(
        key=hit.doc.key,
        kind=hit.doc.kind,
        title=hit.doc.title,
        preview=hit.doc.body,
        shortcut=hit.doc.shortcut,
        title_highlights=hit.highlights.get("title", ()),
        preview_highlights=hit.highlights.get("body", ()),
    )
