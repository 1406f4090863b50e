"""Changing the agent's personal library: save, edit, move, delete and import replies and FAQ entries.

The personal library is a directory of TOML files, one per folder. Entries from the starter or the team's
library are never edited in place: saving one writes a personal copy with the same id, which overrides it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Callable

from quick_replies.library import FaqEntry, Library, QuickReply, load_file
from quick_replies.library_files import folder_file_name, library_file_text, write_atomically


class LibraryEditError(ValueError):
    pass


class PersonalLibrary:
    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def _folder_contents(self, folder: str) -> tuple[Path, list[QuickReply], list[FaqEntry]]:
        path = self.directory / folder_file_name(folder)
        library = Library()
        if path.exists():
            load_file(path, library)
            if library.problems:
                raise LibraryEditError(f"fix {library.problems[0]} first: saving would overwrite it")
        return path, list(library.replies.values()), list(library.faqs)

    def _write(self, folder: str, replies: list[QuickReply], faqs: list[FaqEntry]) -> None:
        path = self.directory / folder_file_name(folder)
        if replies or faqs:
            write_atomically(path, library_file_text(folder, replies, faqs))
        elif path.exists():
            path.unlink()

    def save_reply(self, library: Library, reply: QuickReply) -> QuickReply:
        """Add (empty id) or update a reply. A shortcut another reply already has is refused."""
        if reply.shortcut:
            owner = library.by_shortcut(reply.shortcut)
            if owner is not None and owner.id != reply.id:
                raise LibraryEditError(
                    f"the shortcut /{reply.shortcut} is already used by “{owner.title}” ({owner.source}); "
                    "choose another"
                )
        if not reply.id:
            reply = replace(reply, id=unique_id(reply.title, library.replies.keys()))
        previous = library.replies.get(reply.id)
        if previous is not None and self._owns(previous) and previous.folder != reply.folder:
            self._remove_from_folder(previous)  # a move: out of the old folder's file
        path, replies, faqs = self._folder_contents(reply.folder)
        replies = [r for r in replies if r.id != reply.id] + [reply]
        self._write(reply.folder, replies, faqs)
        return replace(reply, source=None)

    def delete_reply(self, library: Library, reply_id: str) -> None:
        reply = library.replies.get(reply_id)
        if reply is None:
            raise LibraryEditError(f"no reply {reply_id!r}")
        if not self._owns(reply):
            raise LibraryEditError(
                f"“{reply.title}” comes from {reply.source.path.parent if reply.source else 'another library'}, "
                "which is not yours to change; edit it to keep your own version instead"
            )
        self._remove_from_folder(reply)

    def _owns(self, reply: QuickReply) -> bool:
        return reply.source is not None and reply.source.path.parent == self.directory

    def _remove_from_folder(self, reply: QuickReply) -> None:
        folder_name = reply.source.path.stem if reply.source else reply.folder
        path = self.directory / f"{folder_name}.toml"
        library = Library()
        load_file(path, library)
        replies = [r for r in library.replies.values() if r.id != reply.id]
        text_folder = next(iter(library.replies.values()), reply).folder
        if replies or library.faqs:
            write_atomically(path, library_file_text(text_folder, replies, list(library.faqs)))
        else:
            path.unlink()

    def import_entries(
        self,
        library: Library,
        replies: list[QuickReply],
        faqs: list[FaqEntry],
        progress: Callable[[int], None] = lambda done: None,
    ) -> list[str]:
        """Add entries in bulk, one file write per folder. Returns warnings (clashing shortcuts dropped)."""
        warnings: list[str] = []
        taken_ids = set(library.replies)
        shortcuts = {r.shortcut: r for r in library.replies.values() if r.shortcut}
        by_title = {(r.title, r.folder): r.id for r in library.replies.values()}
        by_folder: dict[str, tuple[list[QuickReply], list[FaqEntry]]] = {}
        for done, reply in enumerate(replies, 1):
            if not reply.id and (reply.title, reply.folder) in by_title:
                # No id (CSV): the same title in the same folder is the same reply, so that exporting, editing
                # in a spreadsheet and importing again updates entries instead of duplicating them.
                reply = replace(reply, id=by_title[(reply.title, reply.folder)])
            elif not reply.id:
                reply = replace(reply, id=unique_id(reply.title, taken_ids))
            if reply.shortcut and reply.shortcut in shortcuts and shortcuts[reply.shortcut].id != reply.id:
                warnings.append(f"{reply.source}: shortcut /{reply.shortcut} is already used by "
                                f"“{shortcuts[reply.shortcut].title}”; imported without a shortcut")
                reply = replace(reply, shortcut="")
            if reply.shortcut:
                shortcuts[reply.shortcut] = reply
            taken_ids.add(reply.id)
            by_folder.setdefault(reply.folder, ([], []))[0].append(reply)
            progress(done)
        for done, faq in enumerate(faqs, len(replies) + 1):
            by_folder.setdefault(faq.category or "FAQ", ([], []))[1].append(faq)
            progress(done)
        for folder, (new_replies, new_faqs) in by_folder.items():
            path, existing_replies, existing_faqs = self._folder_contents(folder)
            new_ids = {r.id for r in new_replies}
            questions = {f.question for f in new_faqs}
            self._write(
                folder,
                [r for r in existing_replies if r.id not in new_ids] + new_replies,
                [f for f in existing_faqs if f.question not in questions] + new_faqs,
            )
        return warnings


def unique_id(title: str, taken) -> str:
    base = re.sub(r"[^\w]+", "-", title.lower(), flags=re.UNICODE).strip("-")[:40] or "reply"
    candidate, counter = base, 2
    while candidate in taken:
        candidate, counter = f"{base}-{counter}", counter + 1
    return candidate
