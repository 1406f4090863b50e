"""Library files as parsed before, kept on disk so that a start or a reload parses only the files that changed.

Python's TOML parser is pure Python: 100,000 entries (22 MiB) take about 11 s to parse on a slow machine, while
reading the same entries back from this cache takes a fraction of a second. A file's parse depends only on its
path and its bytes (library.parse_file), so the cache is keyed by a hash of both: an edited file, even one
edited within the clock's resolution, is parsed again. The cache is msgpack decoded into fixed record types, so
a damaged or foreign file is refused as a whole and the library is parsed afresh; it is data, never code.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import msgspec

from quick_replies.library import (
    FaqEntry,
    FileError,
    Library,
    Problem,
    QuickReply,
    Source,
    load_library,
    parse_file,
    read_file_bytes,
)

FORMAT = "library-parsed-2"
FILE_NAME = "library-parsed.msgpack"
CHUNK = 2_000  # records decoded in one call: a console reloading in a thread holds the interpreter lock no longer


class ReplyRecord(msgspec.Struct, array_like=True, tag="r"):
    line: int
    id: str
    title: str
    body: str
    folder: str
    language: str
    shortcut: str
    tags: list[str]


class FaqRecord(msgspec.Struct, array_like=True, tag="f"):
    line: int
    question: str
    answer: str
    keywords: list[str]
    category: str
    id: str


class ProblemRecord(msgspec.Struct, array_like=True, tag="p"):
    line: int
    message: str


Record = ReplyRecord | FaqRecord | ProblemRecord


class CachedFile(msgspec.Struct, array_like=True):
    digest: str
    chunks: list[bytes]  # each a msgpack list of up to CHUNK records


class CacheFile(msgspec.Struct):
    format: str
    files: list[CachedFile]


RECORDS = msgspec.msgpack.Decoder(list[Record])


class ParsedFiles:
    """One load's view of the cache: `items` answers from it where it can; `save` keeps what this load read."""

    def __init__(self, cache_dir: Path | None):
        self.path = Path(cache_dir) / FILE_NAME if cache_dir is not None else None
        self.known = self._read()
        self.used: dict[str, list[bytes]] = {}
        self.parsed = 0  # files parsed this load (the rest came from the cache)

    def _read(self) -> dict[str, list[bytes]]:
        if self.path is None:
            return {}
        try:
            cache = msgspec.msgpack.decode(self.path.read_bytes(), type=CacheFile)
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return {}  # missing, damaged or another version: parse afresh
        return {file.digest: file.chunks for file in cache.files} if cache.format == FORMAT else {}

    def covers(self, paths: list[Path]) -> bool:
        """Whether every one of these files, as it is now, was parsed before."""
        try:
            return all(self._digest(path, read_file_bytes(path)) in self.known for path in paths)
        except FileError:
            return False

    @staticmethod
    def _digest(path: Path, raw: bytes) -> str:
        return hashlib.blake2b(os.fsencode(path) + b"\x00" + raw, digest_size=20).hexdigest()

    def items(self, path: Path) -> list:
        """What library.parse_file(path) gives, from the cache if these bytes at this path were parsed before."""
        try:
            raw = read_file_bytes(path)
        except FileError as error:
            return [Problem(Source(path, error.line), str(error))]
        digest = self._digest(path, raw)
        chunks = self.known.get(digest)
        if chunks is not None:
            try:
                items = [from_record(path, record) for chunk in chunks for record in RECORDS.decode(chunk)]
            except (msgspec.DecodeError, msgspec.ValidationError):
                pass  # a damaged part: parse this file afresh
            else:
                self.used[digest] = chunks
                return items
        self.parsed += 1
        items = parse_file(path, raw)
        records = [to_record(item) for item in items]
        self.used[digest] = [msgspec.msgpack.encode(records[start:start + CHUNK])
                             for start in range(0, len(records), CHUNK)]
        return items

    def save(self) -> None:
        """Writes the files this load read, if that differs from what was there (a file written whole, then
        renamed into place: a reader never sees half of one). A disk that refuses only costs a parse."""
        if self.path is None or self.used.keys() == self.known.keys():
            return
        cache = CacheFile(FORMAT, [CachedFile(digest, records) for digest, records in self.used.items()])
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".library-parsed-", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(msgspec.msgpack.encode(cache))
                os.replace(temporary, self.path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError:
            pass


def to_record(item) -> Record:
    if isinstance(item, QuickReply):
        return ReplyRecord(item.source.line, item.id, item.title, item.body, item.folder, item.language,
                           item.shortcut, list(item.tags))
    if isinstance(item, FaqEntry):
        return FaqRecord(item.source.line, item.question, item.answer, list(item.keywords), item.category, item.id)
    return ProblemRecord(item.source.line, item.message)


def from_record(path: Path, record: Record):
    source = Source(path, record.line)
    if isinstance(record, ReplyRecord):
        return QuickReply(record.id, record.title, record.body, record.folder, record.language, record.shortcut,
                          tuple(record.tags), source)
    if isinstance(record, FaqRecord):
        return FaqEntry(record.question, record.answer, tuple(record.keywords), record.category, source, record.id)
    return Problem(source, record.message)


def load_library_cached(directories: list[Path], cache_dir: Path | None) -> Library:
    """library.load_library, parsing only the files the cache in `cache_dir` has not seen as they are now."""
    parsed = ParsedFiles(cache_dir)
    library = load_library(directories, parsed)
    parsed.save()
    return library
