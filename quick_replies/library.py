"""The quick-reply and FAQ library: human-editable TOML files, one per folder or team.

A library is read from several directories in order (the bundled starter library, the team's shared
directory, the agent's personal directory); a later entry with the same id replaces an earlier one. A file
that cannot be read, or an entry with a bad field, is reported with its file and line and skipped: the rest
of the library still loads.

File format (see quick_replies/starter/*.toml for complete examples):

    folder = "退款与退货"          # optional; defaults to the file name without .toml

    [[reply]]
    id = "refund-apology"          # unique across the library
    title = "退款致歉"
    shortcut = "tk"                # optional; typed as /tk in the composer
    tags = ["退款", "refund"]      # optional
    language = "zh"                # zh | en
    body = "{customer.name|您}好，非常抱歉……"

    [[faq]]
    question = "退款多久到账？"
    answer = "原路退回，一般 1-3 个工作日到账。"
    keywords = ["退款", "到账"]     # optional
    category = "退款"              # optional
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

STARTER_DIR = Path(__file__).with_name("starter")
LANGUAGES = ("zh", "en")
SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,19}$")


@dataclass(frozen=True)
class Source:
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class QuickReply:
    id: str
    title: str
    body: str
    folder: str
    language: str
    shortcut: str = ""
    tags: tuple[str, ...] = ()
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class FaqEntry:
    question: str
    answer: str
    keywords: tuple[str, ...] = ()
    category: str = ""
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Problem:
    source: Source
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


@dataclass
class Library:
    replies: dict[str, QuickReply] = field(default_factory=dict)
    faqs: list[FaqEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def by_shortcut(self, shortcut: str) -> QuickReply | None:
        return next((r for r in self.replies.values() if r.shortcut and r.shortcut == shortcut), None)


class EntryError(ValueError):
    pass


def load_library(directories: list[Path]) -> Library:
    library = Library()
    for directory in directories:
        for path in sorted(Path(directory).glob("*.toml")) if Path(directory).is_dir() else ():
            load_file(path, library)
    check_shortcuts(library)
    return library


def load_file(path: Path, library: Library) -> None:
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as error:
        library.problems.append(Problem(Source(path, 1), f"cannot read the file: {error}"))
        return
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"line (\d+)", str(error))
        library.problems.append(Problem(Source(path, int(line.group(1)) if line else 1), f"not valid TOML: {error}"))
        return
    folder = data.get("folder", path.stem)
    for kind, parse in (("reply", parse_reply), ("faq", parse_faq)):
        tables = data.get(kind, [])
        lines = header_lines(text, kind)
        if not isinstance(tables, list):
            library.problems.append(Problem(Source(path, 1), f"'{kind}' must be written as [[{kind}]] tables"))
            continue
        for index, table in enumerate(tables):
            source = Source(path, lines[index] if index < len(lines) else 1)
            try:
                entry = parse(table, folder, source)
            except EntryError as error:
                library.problems.append(Problem(source, str(error)))
                continue
            if isinstance(entry, QuickReply):
                library.replies[entry.id] = entry  # a later directory overrides an earlier one
            else:
                library.faqs.append(entry)


def header_lines(text: str, kind: str) -> list[int]:
    """Line numbers of the [[kind]] headers, in order: tomllib reports no positions for valid documents."""
    pattern = re.compile(rf"^\s*\[\[\s*{kind}\s*\]\]")
    return [number for number, line in enumerate(text.splitlines(), 1) if pattern.match(line)]


def text_field(table: dict, name: str, required: bool = True) -> str:
    value = table.get(name, "")
    if not isinstance(value, str):
        raise EntryError(f"'{name}' must be text")
    if required and not value.strip():
        raise EntryError(f"'{name}' is missing or empty")
    return value.strip() if name != "body" and name != "answer" else value.strip("\n")


def list_field(table: dict, name: str) -> tuple[str, ...]:
    value = table.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise EntryError(f"'{name}' must be a list of text")
    return tuple(item.strip() for item in value if item.strip())


def parse_reply(table: dict, folder: str, source: Source, require_id: bool = True) -> QuickReply:
    reply_id = text_field(table, "id", required=require_id)
    language = text_field(table, "language", required=False) or "zh"
    if language not in LANGUAGES:
        raise EntryError(f"reply {reply_id or table.get('title')!r}: language must be one of {', '.join(LANGUAGES)}")
    shortcut = text_field(table, "shortcut", required=False).lstrip("/").lower()
    if shortcut and not SHORTCUT.match(shortcut):
        raise EntryError(f"reply {reply_id or table.get('title')!r}: shortcut {shortcut!r} must be 1-20 letters, "
                         "digits, - or _")
    return QuickReply(
        id=reply_id,
        title=text_field(table, "title"),
        body=text_field(table, "body"),
        folder=str(table.get("folder", folder)),
        language=language,
        shortcut=shortcut,
        tags=list_field(table, "tags"),
        source=source,
    )


def parse_faq(table: dict, folder: str, source: Source) -> FaqEntry:
    return FaqEntry(
        question=text_field(table, "question"),
        answer=text_field(table, "answer"),
        keywords=list_field(table, "keywords"),
        category=text_field(table, "category", required=False) or folder,
        source=source,
    )


def check_shortcuts(library: Library) -> None:
    """Two replies with one shortcut: the first keeps it, the second loses it and the clash is reported."""
    owners: dict[str, QuickReply] = {}
    for reply_id, reply in list(library.replies.items()):
        if not reply.shortcut:
            continue
        owner = owners.get(reply.shortcut)
        if owner is None:
            owners[reply.shortcut] = reply
            continue
        library.problems.append(Problem(
            reply.source or Source(Path("?"), 0),
            f"shortcut /{reply.shortcut} of {reply_id!r} is already used by {owner.id!r} ({owner.source}); "
            "this reply keeps no shortcut",
        ))
        library.replies[reply_id] = QuickReply(**{**reply.__dict__, "shortcut": ""})
