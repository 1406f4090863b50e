"""The console's view of the quick-reply library: loaded once, reloaded when its files change on disk."""

from __future__ import annotations

import gc
import time
from pathlib import Path

from quick_replies.library import STARTER_DIR, Library, load_library
from quick_replies.library_editing import PersonalLibrary
from quick_replies.linter import LEVEL_ORDER, Linter
from quick_replies.placeholders import Filled, fill
from quick_replies.search import SearchDoc, SearchHit, Usage, documents, inserted_text
from quick_replies.search_index import SearchIndex
from quick_replies.search_index_cache import load_or_build
from widgets.reply_panel import ReplyResult

LINT_AT_LOAD = 5_000  # entries linted when the library loads (~0.2 s); a larger library is linted as shown
PANEL_RESULTS = 20  # a list refined by typing, not browsed; benchmarks/search.py times the same limit


class ReplyLibrary:
    def __init__(self, directories: list[Path], cache_dir: Path | None = None, linter: Linter | None = None):
        self.directories = directories
        self.cache_dir = cache_dir
        self.linter = linter
        self._flags: dict[str, tuple[str, str]] = {}  # key -> (worst level, message), linted when first shown
        # The last directory is the agent's own: the one that saves and deletes go to.
        if Path(directories[-1]).resolve() == STARTER_DIR.resolve():
            raise ValueError("the last library directory must be the agent's own, not the bundled starter")
        self.personal = PersonalLibrary(directories[-1])
        self.library = Library()
        self.docs: list[SearchDoc] = []
        self.index: SearchIndex | None = None
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
        self.index = load_or_build(self.docs, self.cache_dir, source=repr(self._fingerprint))
        self._flags.clear()
        if self.linter is not None and len(self.docs) <= LINT_AT_LOAD:
            for doc in self.docs:
                self.flag(doc)
        self._by_key = {doc.key: doc for doc in self.docs}
        # The library is long-lived: keep the collector from walking it again and again, which on a large
        # library stalls a keystroke for a tenth of a second now and then.
        gc.freeze()

    def reload_if_changed(self) -> bool:
        """Cheap enough to call every few seconds: one stat per library file."""
        if self._current_fingerprint() == self._fingerprint:
            return False
        self.reload()
        return True

    def search(self, query: str, usage: dict[str, tuple[int, float]], limit: int = PANEL_RESULTS) -> list[ReplyResult]:
        counts = {key: Usage(count, last) for key, (count, last) in usage.items()}
        hits = self.index.search(query, limit=limit, usage=counts, now=time.time())
        return [result_view(hit, *self.flag(hit.doc)) for hit in hits]

    def flagged(self) -> list[tuple[str, str, str]]:
        """(title, level, message) of every entry linted so far that breaks an error or warning rule."""
        by_key = self._by_key
        return [(by_key[key].title, level, message) for key, (level, message) in self._flags.items()
                if level and key in by_key]

    def flag(self, doc: SearchDoc) -> tuple[str, str]:
        """The linter's worst error or warning in what the entry inserts: shown next to it in the panel.
        Linted on first showing, not at load: a library of 100,000 entries would take seconds."""
        if self.linter is None:
            return "", ""
        if doc.key not in self._flags:
            findings = [f for f in self.linter.lint(inserted_text(doc)) if f.level in ("error", "warning")]
            worst = min(findings, key=lambda f: LEVEL_ORDER[f.level], default=None)
            self._flags[doc.key] = (worst.level, worst.message) if worst else ("", "")
        return self._flags[doc.key]

    def by_shortcut(self, code: str) -> SearchDoc | None:
        reply = self.library.by_shortcut(code.lower())
        return self._by_key.get(reply.id) if reply else None

    def expand(self, key: str, values: dict[str, str]) -> Filled | None:
        """The text to insert for a result: a reply's body, or an FAQ entry's answer, placeholders filled."""
        doc = self._by_key.get(key)
        if doc is None:
            return None
        return fill(inserted_text(doc), values)


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
