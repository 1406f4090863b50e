"""The quick-reply library as the console's panel and `agent-console search` read it: loaded once, indexed,
ranked by the agent's usage, flagged by the phrase linter, and reloaded when its files change on disk."""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from pathlib import Path

from quick_replies.library import STARTER_DIR, Library, directory_files, files_fingerprint, load_library
from quick_replies.library_browse import Folder, find_folder, folders, recently_used
from quick_replies.library_cache import ParsedFiles
from quick_replies.library_editing import PersonalLibrary
from quick_replies.linter import LEVEL_ORDER, Finding, Linter
from quick_replies.placeholders import Filled, fill
from quick_replies.prepare_library import SEPARATE_FROM_BYTES, prepare_in_subprocess
from quick_replies.reply_library_results import ReplyResult, entry_view, result_view
from quick_replies.search import SearchDoc, SearchHit, Usage, documents, inserted_text
from quick_replies.search_index import SearchIndex
from quick_replies.search_index_cache import load_or_build

LINT_AT_LOAD = 5_000  # entries linted when the library loads (~0.2 s); a larger library is linted as shown
PANEL_RESULTS = 20  # a list refined by typing, not browsed; benchmarks/search.py times the same limit
FOLDER_ROWS = 200  # a folder opened in the panel lists this many; a bigger one is for searching


@dataclass(frozen=True)
class ReloadTicket:
    """A reload asked for: its place in the order reloads were asked for, and the files as they were then."""

    generation: int
    fingerprint: tuple


@dataclass(frozen=True)
class LibrarySnapshot:
    """Everything a search reads, built together and swapped in with one assignment: a search sees the old
    library or the new one, never a mix."""

    generation: int
    fingerprint: tuple
    library: Library
    docs: list[SearchDoc]
    index: SearchIndex | None
    by_key: dict[str, SearchDoc]
    flags: dict[str, tuple[str, str]]  # key -> (worst level, message): filled further as entries are first shown


EMPTY = LibrarySnapshot(0, (), Library(), [], None, {}, {})


def build_snapshot(ticket: ReloadTicket, directories: list[Path], cache_dir: Path | None,
                   linter: Linter | None) -> LibrarySnapshot:
    """Reads, indexes and (if small) lints the library. Reads its arguments and the files only, so it can
    run in a thread while the panel searches the installed snapshot: ~14 s at 100,000 entries on a slow
    machine (11 s of it parsing TOML; benchmarks/search.py shows the phases)."""
    parsed = ParsedFiles(cache_dir)
    files = [path for directory in directories for path in directory_files(directory)]
    if cache_dir is not None and sum(size for _, _, size in ticket.fingerprint) >= SEPARATE_FROM_BYTES \
            and not parsed.covers(files):
        # A large library with files not parsed before is parsed and indexed by a process of its own; this
        # thread then reads the caches it left, holding the interpreter lock (and the screen) for a fraction
        # of the time. Should it fail, the work is done here as before.
        if prepare_in_subprocess(cache_dir, repr(ticket.fingerprint), directories):
            parsed = ParsedFiles(cache_dir)
    library = load_library(directories, parsed)
    parsed.save()
    docs = documents(library)
    # The cache file is written under a temporary name and renamed: two builds at once each write a whole file.
    index = load_or_build(docs, cache_dir, source=repr(ticket.fingerprint))
    flags: dict[str, tuple[str, str]] = {}
    if linter is not None and len(docs) <= LINT_AT_LOAD:
        for doc in docs:
            flags[doc.key] = worst_finding(linter, doc)
    return LibrarySnapshot(ticket.generation, ticket.fingerprint, library, docs, index,
                           {doc.key: doc for doc in docs}, flags)


def serious_findings(linter: Linter, doc: SearchDoc) -> list[Finding]:
    """The errors and warnings the linter finds in what the entry inserts."""
    return [f for f in linter.lint(inserted_text(doc)) if f.level in ("error", "warning")]


def worst_finding(linter: Linter, doc: SearchDoc) -> tuple[str, str]:
    worst = min(serious_findings(linter, doc), key=lambda f: LEVEL_ORDER[f.level], default=None)
    return (worst.level, worst.message) if worst else ("", "")


class ReplyLibrary:
    """A reload is three steps: `begin_reload` and `install` on the UI thread, `build` between them in a
    thread (the app's worker) or inline (`reload`)."""

    # (the generation of the snapshot they were made from, the folders): not the snapshot itself, which would
    # keep a replaced library in memory.
    _folder_listing: tuple[int, list[Folder]] = (-1, [])

    def __init__(self, directories: list[Path], cache_dir: Path | None = None, linter: Linter | None = None):
        self.directories = directories
        self.cache_dir = cache_dir
        self.linter = linter
        # The last directory is the agent's own: the one that saves and deletes go to.
        if Path(directories[-1]).resolve() == STARTER_DIR.resolve():
            raise ValueError("the last library directory must be the agent's own, not the bundled starter")
        self.personal = PersonalLibrary(directories[-1])
        self.snapshot = EMPTY
        self._asked_for = ReloadTicket(0, ())  # the newest reload asked for
        self.reload()

    # What a search reads, from the installed snapshot.
    @property
    def library(self) -> Library:
        return self.snapshot.library

    @property
    def docs(self) -> list[SearchDoc]:
        return self.snapshot.docs

    @property
    def index(self) -> SearchIndex | None:
        return self.snapshot.index

    @property
    def _by_key(self) -> dict[str, SearchDoc]:
        return self.snapshot.by_key

    def _current_fingerprint(self) -> tuple:
        return files_fingerprint(self.directories)

    def changed(self) -> bool:
        """Cheap enough to call every few seconds: one stat per library file. False while a reload that
        already sees the files as they are is still being built."""
        return self._current_fingerprint() != self._asked_for.fingerprint

    @property
    def reloading(self) -> bool:
        """A reload was asked for and its library is not installed yet: what a search reads is older."""
        return self._asked_for.generation > self.snapshot.generation

    def begin_reload(self) -> ReloadTicket:
        # The files are stat'ed before they are read: one changed during the build shows at the next check.
        self._asked_for = ReloadTicket(self._asked_for.generation + 1, self._current_fingerprint())
        return self._asked_for

    def build(self, ticket: ReloadTicket) -> LibrarySnapshot:
        """Safe in a thread: changes nothing the UI reads."""
        return build_snapshot(ticket, self.directories, self.cache_dir, self.linter)

    def install(self, snapshot: LibrarySnapshot) -> bool:
        """Swaps the snapshot in, unless a reload asked for later is installed already. True if swapped."""
        if snapshot.generation < self.snapshot.generation:
            return False
        self.snapshot = snapshot
        # The library is long-lived: keep the collector from walking it again and again. benchmarks/collector.py
        # (100,000 entries): a full collection takes 2-7 ms with this, 172-189 ms without. Cheap (it moves one
        # list), and run here, on the UI thread, once the old snapshot is no longer referenced from the app.
        gc.freeze()
        return True

    def reload(self) -> None:
        """All three steps at once, blocking: at start-up, and in tests."""
        self.install(self.build(self.begin_reload()))

    def hits(self, query: str, usage: dict[str, tuple[int, float]], limit: int = PANEL_RESULTS) -> list[SearchHit]:
        """Ranked matches, entries the agent inserted often and lately first among equals. `usage` is
        key -> (count, last time), as the local store's reply_usage() gives it."""
        counts = {key: Usage(count, last) for key, (count, last) in usage.items()}
        return self.index.search(query, limit=limit, usage=counts, now=time.time())

    def search(self, query: str, usage: dict[str, tuple[int, float]], limit: int = PANEL_RESULTS) -> list[ReplyResult]:
        """The panel's rows for a query: ranked matches with their lint flags."""
        return [result_view(hit, *self.flag(hit.doc)) for hit in self.hits(query, usage, limit)]

    def flagged(self) -> list[tuple[str, str, str]]:
        """(title, level, message) of every entry linted so far that breaks an error or warning rule."""
        by_key = self.snapshot.by_key
        return [(by_key[key].title, level, message) for key, (level, message) in self.snapshot.flags.items()
                if level and key in by_key]

    def flag(self, doc: SearchDoc) -> tuple[str, str]:
        """The linter's worst error or warning in what the entry inserts: shown next to it in the panel.
        Linted on first showing, not at load: a library of 100,000 entries would take seconds."""
        if self.linter is None:
            return "", ""
        flags = self.snapshot.flags
        if doc.key not in flags:
            flags[doc.key] = worst_finding(self.linter, doc)
        return flags[doc.key]

    def by_shortcut(self, code: str) -> SearchDoc | None:
        reply = self.library.by_shortcut(code.lower())
        return self._by_key.get(reply.id) if reply else None

    def expand(self, key: str, values: dict[str, str]) -> Filled | None:
        """The text to insert for a result: a reply's body, or an FAQ entry's answer, placeholders filled."""
        doc = self._by_key.get(key)
        if doc is None:
            return None
        return fill(inserted_text(doc), values)

    def preview(self, key: str, values: dict[str, str]) -> tuple[str, list[tuple[int, int]]] | None:
        """What inserting the entry would put in the composer, and where placeholders are still unfilled."""
        filled = self.expand(key, values)
        return (filled.text, [(u.start, u.end) for u in filled.unfilled]) if filled is not None else None

    def browse(self, folder_key: str, usage: dict[str, tuple[int, float]]) -> list[ReplyResult]:
        """The panel's list for an empty query: recently used entries, then the folders (folder_key ""); or
        the entries of the folder a folder row named."""
        snapshot = self.snapshot  # one library throughout, should a reload install another meanwhile
        by_key = snapshot.by_key
        made_from, listed = self._folder_listing
        if made_from != snapshot.generation:  # grouped once per library load, not on every visit
            listed = folders(snapshot.docs)
            self._folder_listing = (snapshot.generation, listed)
        if folder_key:
            folder = find_folder(listed, folder_key)
            shown = [by_key[key] for key in (folder.keys if folder else ()) if key in by_key][:FOLDER_ROWS]
            return [entry_view(doc, *self.flag(doc)) for doc in shown]
        recent = [entry_view(by_key[key], *self.flag(by_key[key]), section="recent")
                  for key in recently_used(usage, by_key)]
        return recent + [ReplyResult(key=folder.key, kind="folder", title=folder.name, preview="",
                                     count=len(folder.keys), layer=folder.layer, section="folders")
                         for folder in listed]
