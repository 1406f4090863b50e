"""Changing the agent's personal library: save, edit, move, delete and import replies and FAQ entries.

The personal library is a directory of TOML files, one per folder. Entries from the starter or the team's
library are never edited in place: saving one writes a personal copy with the same id, which overrides it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from quick_replies.library import (
    LAYER_PERSONAL,
    EntryError,
    FaqEntry,
    FileError,
    Library,
    QuickReply,
    Source,
    declared_folder,
    load_file,
    parse_reply,
    read_toml_file,
    shown,
)
from quick_replies.library_files import (
    folder_file_name,
    hashed_file_name,
    legacy_file_name,
    library_file_text,
    reply_record,
    write_atomically,
)


class LibraryEditError(ValueError):
    pass


class PersonalLibrary:
    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def file_for(self, folder: str) -> Path:
        """The file that holds a folder: the one that says it does (written by this or an earlier version,
        whose names were lossy), else a new one whose name no other folder's file has."""
        for name in dict.fromkeys((folder_file_name(folder), legacy_file_name(folder), hashed_file_name(folder))):
            path = self.directory / name
            if not path.exists():
                continue
            if self._declared_folder(path) == folder:
                return path
        for name in (folder_file_name(folder), hashed_file_name(folder)):
            if not (self.directory / name).exists():
                return self.directory / name
        raise LibraryEditError(f"no file name is free for the folder {shown(folder)} in {self.directory}")

    def _declared_folder(self, path: Path) -> str:
        try:
            return declared_folder(path, read_toml_file(path)[1])
        except FileError as error:
            raise LibraryEditError(f"fix {path}:{error.line}: {error} first: saving would overwrite it") from None

    def _file_contents(self, path: Path) -> tuple[list[QuickReply], list[FaqEntry]]:
        library = Library()
        if path.exists():
            load_file(path, library)
            if library.problems:
                raise LibraryEditError(f"fix {library.problems[0]} first: saving would overwrite it")
        return list(library.replies.values()), list(library.faqs)

    def _folder_contents(self, folder: str) -> tuple[Path, list[QuickReply], list[FaqEntry]]:
        path = self.file_for(folder)
        return (path, *self._file_contents(path))

    def _write(self, path: Path, folder: str, replies: list[QuickReply], faqs: list[FaqEntry]) -> None:
        try:
            if replies or faqs:
                write_atomically(path, library_file_text(folder, replies, faqs))
            elif path.exists():
                path.unlink()
        except OSError as error:
            raise LibraryEditError(f"cannot write {path}: {error.strerror or error}") from None

    def save_reply(self, library: Library, reply: QuickReply) -> QuickReply:
        """Add (empty id) or update a reply. A shortcut another of the agent's replies already has is refused
        (one held by the team's or the starter's library is taken over: the personal layer wins), and so is a
        field over its limit (the file would be written, and the reply then skipped when it is read)."""
        try:
            parse_reply(reply_record(reply), reply.folder, Source(self.directory, 0), require_id=False)
        except EntryError as error:
            raise LibraryEditError(str(error)) from None
        if reply.shortcut:
            owner = library.by_shortcut(reply.shortcut)
            if owner is not None and owner.id != reply.id and is_personal(library, owner):
                raise LibraryEditError(
                    f"the shortcut /{reply.shortcut} is already used by “{owner.title}” ({owner.source}); "
                    "choose another"
                )
        if not reply.id:
            reply = replace(reply, id=unique_id(reply.title, library.replies.keys()))
        path, replies, faqs = self._folder_contents(reply.folder)
        replies = [r for r in replies if r.id != reply.id] + [reply]
        self._write(path, reply.folder, replies, faqs)
        previous = library.replies.get(reply.id)
        if previous is not None and self._owns(previous) and previous.source.path != path:
            self._remove_from_file(previous)  # a move, done once the new file holds it: never in no file
        return replace(reply, source=None)

    def delete_reply(self, library: Library, reply_id: str) -> None:
        reply = library.replies.get(reply_id)
        if reply is None:
            raise LibraryEditError(f"no reply {shown(reply_id)}")
        if not self._owns(reply):
            raise LibraryEditError(
                f"“{reply.title}” comes from {reply.source.path.parent if reply.source else 'another library'}, "
                "which is not yours to change; edit it to keep your own version instead"
            )
        self._remove_from_file(reply)

    def _owns(self, entry: QuickReply | FaqEntry) -> bool:
        return entry.source is not None and entry.source.path.parent == self.directory

    def _remove_from_file(self, entry: QuickReply | FaqEntry) -> None:
        path = entry.source.path
        replies, faqs = self._file_contents(path)
        replies = [r for r in replies if not (isinstance(entry, QuickReply) and r.id == entry.id)]
        faqs = [f for f in faqs if not (isinstance(entry, FaqEntry) and f.key == entry.key)]
        self._write(path, self._declared_folder(path), replies, faqs)

    def import_entries(
        self,
        library: Library,
        replies: list[QuickReply],
        faqs: list[FaqEntry],
        progress: Callable[[int], None] = lambda done: None,
    ) -> list[str]:
        """Add entries in bulk, one file write per folder. Returns warnings: shortcuts dropped because one of
        the agent's own replies (or an earlier entry of the import) has them, ids used twice in the import (the
        second is renamed), entries of the library that an import replaces. A shortcut the team's or the
        starter's library holds is kept: the personal layer wins it (load_library notes what it shadows).
        Every file is read and checked before the first is written."""
        warnings: list[str] = []
        taken_ids = set(library.replies)
        shortcuts = {r.shortcut: r for r in library.replies.values() if r.shortcut and is_personal(library, r)}
        by_title = {(r.title, r.folder): r.id for r in library.replies.values()}
        imported: dict[str, QuickReply] = {}
        for done, reply in enumerate(replies, 1):
            if not reply.id and (reply.title, reply.folder) in by_title:
                # No id (CSV): the same title in the same folder is the same reply, so that exporting, editing
                # in a spreadsheet and importing again updates entries instead of duplicating them.
                reply = replace(reply, id=by_title[(reply.title, reply.folder)])
            elif not reply.id:
                reply = replace(reply, id=unique_id(reply.title, taken_ids))
            if reply.id in imported:
                new_id = unique_id(reply.id, taken_ids)
                warnings.append(f"{reply.source}: id {shown(reply.id)} is also used at {imported[reply.id].source}; "
                                f"imported as {shown(new_id)}")
                reply = replace(reply, id=new_id)
            elif reply.id in library.replies and library.replies[reply.id] != reply:
                warnings.append(self._replacing(reply, library.replies[reply.id], f"id {shown(reply.id)}"))
            if reply.shortcut and reply.shortcut in shortcuts and shortcuts[reply.shortcut].id != reply.id:
                warnings.append(f"{reply.source}: shortcut /{reply.shortcut} is already used by "
                                f"{shown(shortcuts[reply.shortcut].title)}; imported without a shortcut")
                reply = replace(reply, shortcut="")
            if reply.shortcut:
                shortcuts[reply.shortcut] = reply
            taken_ids.add(reply.id)
            imported[reply.id] = reply
            progress(done)
        known_faqs = {faq.key: faq for faq in library.faqs}
        imported_faqs: dict[str, FaqEntry] = {}
        for done, faq in enumerate(faqs, len(replies) + 1):
            faq = replace(faq, id=faq.key)  # written with its identity, so that it stays the same entry
            if faq.key in imported_faqs:
                warnings.append(f"{faq.source}: the question {shown(faq.question)} is also at "
                                f"{imported_faqs[faq.key].source}; this entry is the one imported")
            elif faq.key in known_faqs and not same_faq(known_faqs[faq.key], faq):
                warnings.append(self._replacing(faq, known_faqs[faq.key], f"the question {shown(faq.question)}"))
            imported_faqs[faq.key] = faq
            progress(done)
        self._write_imported(library, list(imported.values()), list(imported_faqs.values()), known_faqs)
        return warnings

    def _replacing(self, entry, existing, what: str) -> str:
        if self._owns(existing):
            return f"{entry.source}: {what} replaces your entry at {existing.source}"
        return f"{entry.source}: {what} replaces the entry at {existing.source}; yours is used from now on"

    def _write_imported(self, library: Library, replies: list[QuickReply], faqs: list[FaqEntry],
                        known_faqs: dict[str, FaqEntry]) -> None:
        files: dict[Path, FileContents] = {}
        targets: dict[str, Path] = {}

        def contents(path: Path, folder: str | None = None) -> FileContents:
            if path not in files:
                replies, faqs = self._file_contents(path)
                files[path] = FileContents(folder or self._declared_folder(path),
                                           {r.id: r for r in replies}, {f.key: f for f in faqs})
            return files[path]

        def target(folder: str) -> FileContents:
            if folder not in targets:
                path = self.file_for(folder)
                taken = {p.name.casefold() for p, held in files.items() if held.folder != folder}
                if path.name.casefold() in taken:  # two new folders, one name on a case-insensitive file system
                    path = self.directory / hashed_file_name(folder)
                targets[folder] = path
            return contents(targets[folder], folder)

        for reply in replies:
            held = target(reply.folder)
            existing = library.replies.get(reply.id)
            if existing is not None and self._owns(existing) and existing.source.path != targets[reply.folder]:
                contents(existing.source.path).replies.pop(reply.id, None)  # moved to another folder
            held.replies[reply.id] = reply
        for faq in faqs:
            held = target(faq.category or "FAQ")
            existing = known_faqs.get(faq.key)
            if existing is not None and self._owns(existing) and existing.source.path != targets[held.folder]:
                contents(existing.source.path).faqs.pop(faq.key, None)
            held.faqs[faq.key] = faq
        # Files that gain entries first: a failure part way leaves an entry twice, never nowhere.
        growing = list(dict.fromkeys(targets.values()))
        for path in growing + [p for p in files if p not in growing]:
            held = files[path]
            self._write(path, held.folder, list(held.replies.values()), list(held.faqs.values()))


@dataclass
class FileContents:
    folder: str
    replies: dict[str, QuickReply]
    faqs: dict[str, FaqEntry]


def is_personal(library: Library, reply: QuickReply) -> bool:
    return library.layers.get(reply.id, LAYER_PERSONAL) == LAYER_PERSONAL


def same_faq(first: FaqEntry, second: FaqEntry) -> bool:
    return (first.question, first.answer, first.keywords, first.category) == \
        (second.question, second.answer, second.keywords, second.category)


def unique_id(title: str, taken) -> str:
    base = re.sub(r"[^\w]+", "-", title.lower(), flags=re.UNICODE).strip("-")[:40] or "reply"
    candidate, counter = base, 2
    while candidate in taken:
        candidate, counter = f"{base}-{counter}", counter + 1
    return candidate
