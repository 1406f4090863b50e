"""The quick-reply and FAQ library: human-editable TOML files, one per folder or team.

A library is read from several directories in order, its layers: the bundled starter library, the team's
shared directory, the agent's personal directory (always the last). A higher layer wins a collision: an entry
with the same id replaces an earlier one, and a shortcut held in a lower layer goes to the higher one (a note
says what was shadowed). A file that cannot be read, or an entry with a bad field, is reported with its file
and line and skipped: the rest of the library still loads.

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
    id = "faq-refund-time"         # optional; without one, an entry's identity is its question

Every file and field has a size limit (below); anything over it is reported and skipped, never cut short.
Messages about an entry name it by a short, control-free label, never by its raw value: the value came from a
file anyone may have written.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

STARTER_DIR = Path(__file__).with_name("starter")
LANGUAGES = ("en", "zh")  # of replies and FAQ entries, and of the interface (widgets/i18n.py)
SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,19}$")
LAYER_STARTER, LAYER_TEAM, LAYER_PERSONAL = 0, 1, 2
LAYER_NAMES = ("starter", "team", "personal")

MAX_FILE_BYTES = 16 * 1024 * 1024  # a library or import file; 100,000 typical entries take about 10 MiB
# Characters per field. A reply is sent as one chat message (the backend takes up to 5,000 characters), so a
# body twice that is already an editing job, not a reply.
FIELD_LIMITS = {"id": 100, "title": 200, "body": 10_000, "folder": 100, "language": 10, "shortcut": 21,
                "question": 500, "answer": 10_000, "category": 100}
LIST_LIMITS = {"tags": 50, "keywords": 50}  # items per list
LIST_ITEM_LIMIT = 100  # characters per tag or keyword


@dataclass(frozen=True)
class Source:
    path: Path
    line: int
    entry: str = ""  # in a file without line numbers (JSON, YAML, TOML imports): which entry, e.g. "reply #3"

    def __str__(self) -> str:
        return f"{self.path}: {self.entry}" if self.entry else f"{self.path}:{self.line}"


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
    id: str = ""

    @property
    def key(self) -> str:
        """The entry's identity: its id, or one derived from its question, so that an entry exported and
        imported again (or copied into another library) replaces itself instead of appearing twice."""
        return self.id or faq_id(self.question)


def faq_id(question: str) -> str:
    return "faq-" + hashlib.sha256(question.encode("utf-8", "surrogatepass")).hexdigest()[:16]


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
    # Reply id or FAQ key -> the layer its entry was finally taken from (LAYER_STARTER, _TEAM, _PERSONAL).
    layers: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # information, not problems: shortcuts a higher layer took
    _faq_positions: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def by_shortcut(self, shortcut: str) -> QuickReply | None:
        return next((r for r in self.replies.values() if r.shortcut and r.shortcut == shortcut), None)

    def add_reply(self, reply: QuickReply, layer: int = LAYER_PERSONAL) -> None:
        """A later directory overrides an earlier one; the same id twice in one directory is a mistake that
        would hide one entry, so it is reported (the later entry is the one used)."""
        earlier = self.replies.get(reply.id)
        if earlier is not None and same_directory(earlier.source, reply.source):
            self.problems.append(Problem(reply.source, f"id {shown(reply.id)} is also used at {earlier.source}, "
                                                       "which this entry hides; give one of them another id"))
        self.replies[reply.id] = reply
        self.layers[reply.id] = layer

    def add_faq(self, faq: FaqEntry, layer: int = LAYER_PERSONAL) -> None:
        self.layers[faq.key] = layer
        position = self._faq_positions.get(faq.key)
        if position is None:
            self._faq_positions[faq.key] = len(self.faqs)
            self.faqs.append(faq)
            return
        earlier = self.faqs[position]
        if same_directory(earlier.source, faq.source):
            what = f"id {shown(faq.id)}" if faq.id else "the question"
            self.problems.append(Problem(faq.source, f"{what} is also used at {earlier.source}, which this "
                                                     "entry hides; change one of them"))
        self.faqs[position] = faq


def same_directory(first: Source | None, second: Source | None) -> bool:
    return first is not None and second is not None and first.path.parent == second.path.parent


class EntryError(ValueError):
    pass


def shown(value: object, limit: int = 40) -> str:
    """A short, quoted label for a value read from a file, safe to put in a message: never its repr (a
    value can be megabytes, or a structure built from aliases), and no control or formatting characters."""
    return f"'{clean(value, limit)}'" if isinstance(value, str) else "(not text)"


def clean(text: str, limit: int = 120) -> str:
    """Text from a file (or an error message quoting one) cut short, its control characters made visible."""
    cleaned = "".join("?" if unicodedata.category(c)[0] == "C" else c for c in text[:limit])
    return cleaned + "…" if len(text) > limit else cleaned


def load_library(directories: list[Path], parsed=None) -> Library:
    """`parsed`: a store of files parsed before (library_cache.ParsedFiles), or None to parse every file."""
    library = Library()
    for position, directory in enumerate(directories):
        layer = directory_layer(Path(directory), last=position == len(directories) - 1)
        for path in directory_files(directory):
            add_parsed(library, parsed.items(path) if parsed is not None else parse_file(path), layer)
    check_shortcuts(library)
    return library


def directory_files(directory: Path) -> list[Path]:
    """A library directory's files, in the order they are read."""
    return sorted(Path(directory).glob("*.toml")) if Path(directory).is_dir() else []


def files_fingerprint(directories: list[Path]) -> tuple:
    """Every library file's path, modification time and size: one stat each, cheap enough to ask every few
    seconds whether the library changed, and the name its search index is cached under. Take it before
    reading the files, so that one changed meanwhile shows at the next look."""
    return tuple((str(path), stat.st_mtime_ns, stat.st_size)
                 for directory in directories for path in directory_files(directory)
                 for stat in (path.stat(),))


def directory_layer(directory: Path, last: bool) -> int:
    """The bundled starter, the agent's own directory (the last one), or a team's (any other)."""
    if directory.resolve() == STARTER_DIR.resolve():
        return LAYER_STARTER
    return LAYER_PERSONAL if last else LAYER_TEAM


def read_toml_file(path: Path) -> tuple[str, dict]:
    """The text and the document of a library file; raises FileError (with a line) if it cannot be used."""
    return decode_toml(read_file_bytes(path))


def read_file_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise FileError(1, f"cannot read the file: {error}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise FileError(1, f"the file is over {MAX_FILE_BYTES // (1024 * 1024)} MiB; split it into folders")
    return raw


def decode_toml(raw: bytes) -> tuple[str, dict]:
    try:
        text = raw.decode("utf-8")
        return text, tomllib.loads(text)
    except UnicodeDecodeError as error:
        raise FileError(1, f"cannot read the file: {error}") from None
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"line (\d+)", str(error))
        raise FileError(int(line.group(1)) if line else 1, f"not valid TOML: {clean(str(error))}") \
            from None
    except RecursionError:
        raise FileError(1, "not valid TOML: nested too deeply") from None


class FileError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def declared_folder(path: Path, data: dict) -> str:
    folder = data.get("folder", path.stem)
    return folder.strip() if usable_folder(folder) else path.stem


def usable_folder(folder: object) -> bool:
    return isinstance(folder, str) and bool(folder.strip()) and len(folder) <= FIELD_LIMITS["folder"]


def load_file(path: Path, library: Library, layer: int = LAYER_PERSONAL) -> None:
    add_parsed(library, parse_file(path), layer)


def add_parsed(library: Library, items: list, layer: int) -> None:
    for item in items:
        if isinstance(item, QuickReply):
            library.add_reply(item, layer)
        elif isinstance(item, FaqEntry):
            library.add_faq(item, layer)
        else:
            library.problems.append(item)


def parse_file(path: Path, raw: bytes | None = None) -> list:
    """Everything one file gives, in file order: its replies, FAQ entries and problems. Depends on the
    file's path and bytes only, so library_cache.py can keep the answer for bytes it has seen."""
    try:
        text, data = decode_toml(read_file_bytes(path) if raw is None else raw)
    except FileError as error:
        return [Problem(Source(path, error.line), str(error))]
    items: list = []
    folder = declared_folder(path, data)
    if "folder" in data and not usable_folder(data["folder"]):
        items.append(Problem(Source(path, 1), f"'folder' must be text of 1-{FIELD_LIMITS['folder']} "
                                              f"characters; the file name {shown(folder)} is used"))
    for kind, parse in (("reply", parse_reply), ("faq", parse_faq)):
        tables = data.get(kind, [])
        lines = header_lines(text, kind)
        if not isinstance(tables, list):
            items.append(Problem(Source(path, 1), f"'{kind}' must be written as [[{kind}]] tables"))
            continue
        for index, table in enumerate(tables):
            source = Source(path, lines[index] if index < len(lines) else 1)
            try:
                if not isinstance(table, dict):
                    raise EntryError(f"each [[{kind}]] must be a table of fields")
                items.append(parse(table, folder, source))
            except EntryError as error:
                items.append(Problem(source, str(error)))
    return items


def header_lines(text: str, kind: str) -> list[int]:
    """Line numbers of the [[kind]] headers, in order: tomllib reports no positions for valid documents."""
    pattern = re.compile(rf"^\s*\[\[\s*{kind}\s*\]\]")
    return [number for number, line in enumerate(text.splitlines(), 1) if pattern.match(line)]


def text_field(table: dict, name: str, required: bool = True) -> str:
    value = table.get(name, "")
    if not isinstance(value, str):
        raise EntryError(f"'{name}' must be text")
    if len(value) > FIELD_LIMITS[name]:
        raise EntryError(f"'{name}' is {len(value):,} characters; the limit is {FIELD_LIMITS[name]:,}")
    if required and not value.strip():
        raise EntryError(f"'{name}' is missing or empty")
    return value.strip() if name != "body" and name != "answer" else value.strip("\n")


def list_field(table: dict, name: str) -> tuple[str, ...]:
    value = table.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise EntryError(f"'{name}' must be a list of text")
    if len(value) > LIST_LIMITS[name] or any(len(item) > LIST_ITEM_LIMIT for item in value):
        raise EntryError(f"'{name}' may hold {LIST_LIMITS[name]} items of up to {LIST_ITEM_LIMIT} characters")
    return tuple(item.strip() for item in value if item.strip())


def parse_reply(table: dict, folder: str, source: Source, require_id: bool = True) -> QuickReply:
    reply_id = text_field(table, "id", required=require_id)
    label = shown(reply_id or table.get("title"))
    language = text_field(table, "language", required=False) or "zh"
    if language not in LANGUAGES:
        raise EntryError(f"reply {label}: language must be one of {', '.join(LANGUAGES)}")
    shortcut = text_field(table, "shortcut", required=False).lstrip("/").lower()
    if shortcut and not SHORTCUT.match(shortcut):
        raise EntryError(f"reply {label}: shortcut {shown(shortcut)} must be 1-20 letters, digits, - or _")
    return QuickReply(
        id=reply_id,
        title=text_field(table, "title"),
        body=text_field(table, "body"),
        folder=text_field(table, "folder", required=False) or folder,
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
        id=text_field(table, "id", required=False),
    )


def check_shortcuts(library: Library) -> None:
    """Who keeps a shortcut that several replies give. Within one layer the first keeps it and the others are
    reported: one of them is a mistake. Between layers the highest keeps it, as it does an id, and each lower
    holder gives it up with a note (a team's /tk over the starter's demo entry is the point of a team library)."""
    holders: dict[str, dict[int, QuickReply]] = {}  # shortcut -> layer -> the reply that holds it there
    for reply_id, reply in list(library.replies.items()):
        if not reply.shortcut:
            continue
        layer = library.layers.get(reply_id, LAYER_PERSONAL)
        first = holders.setdefault(reply.shortcut, {}).setdefault(layer, reply)
        if first is reply:
            continue
        library.problems.append(Problem(
            reply.source or Source(Path("?"), 0),
            f"shortcut /{reply.shortcut} of {shown(reply_id)} is already used by {shown(first.id)} "
            f"({first.source}); this reply keeps no shortcut",
        ))
        drop_shortcut(library, reply)
    for shortcut, by_layer in holders.items():
        top = max(by_layer)
        for layer, shadowed in sorted(by_layer.items(), reverse=True):
            if layer == top:
                continue
            owner = by_layer[top]
            library.notes.append(f"/{shortcut}: {clean(owner.title, 40)} ({LAYER_NAMES[top]}) shadows "
                                 f"{clean(shadowed.title, 40)} ({LAYER_NAMES[layer]})")
            drop_shortcut(library, shadowed)


def drop_shortcut(library: Library, reply: QuickReply) -> None:
    library.replies[reply.id] = QuickReply(**{**reply.__dict__, "shortcut": ""})
