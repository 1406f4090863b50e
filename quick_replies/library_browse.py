"""Browsing the library without typing: what the quick-reply panel lists for an empty query.

First the entries the agent used last, most recent first; then the folders, the agent's own before the team's
before the bundled starter's (the order in which layers win a collision), each listing its entries in the order
the library's files give them: the order their author chose.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quick_replies.search import SearchDoc

RECENT_LIMIT = 8  # one screenful above the folders: older use is what search's usage ranking is for


@dataclass(frozen=True)
class Folder:
    name: str
    layer: int  # quick_replies.library's LAYER_STARTER, LAYER_TEAM or LAYER_PERSONAL
    keys: tuple[str, ...]  # its entries' search keys, in library order

    @property
    def key(self) -> str:
        """Names the folder to whoever lists it again: the same name in two layers is two folders."""
        return f"{self.layer}:{self.name}"


def recently_used(usage: Mapping[str, tuple[int, float]], known: Container[str],
                  limit: int = RECENT_LIMIT) -> list[str]:
    """Keys from `usage` (key -> (count, last used)) still in the library, the latest use first."""
    used = [(last_used, count, key) for key, (count, last_used) in usage.items() if count > 0 and key in known]
    used.sort(key=lambda item: (-item[0], -item[1], item[2]))
    return [key for _, _, key in used[:limit]]


def folders(docs: Iterable[SearchDoc]) -> list[Folder]:
    """A reply is in its folder, an FAQ entry in its category (which defaults to its file's folder)."""
    grouped: dict[tuple[int, str], list[str]] = {}
    for doc in docs:  # a plain loop: at 100,000 entries this runs on the first browse after each reload
        name = doc.entry.category if doc.kind == "faq" else doc.entry.folder
        grouped.setdefault((doc.layer, name), []).append(doc.key)
    ordered = sorted(grouped, key=lambda place: (-place[0], place[1].casefold(), place[1]))
    return [Folder(name, layer, tuple(grouped[layer, name])) for layer, name in ordered]


def find_folder(listed: Iterable[Folder], key: str) -> Folder | None:
    return next((folder for folder in listed if folder.key == key), None)
