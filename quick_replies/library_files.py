"""Writing library files, and converting entries to and from YAML, TOML, JSON and CSV.

Writes are atomic (a temporary file renamed over the old one), so a crash never leaves half a file that
would then fail to load.

Import files are untrusted: each is read up to a size limit, YAML anchors and aliases are refused (an alias
bomb expands a few lines into gigabytes), nesting is bounded, and every failure is one line naming the file
(and line where known). CSV cells that a spreadsheet would run as a formula are escaped on export and
unescaped on import, so that exporting and importing again gives back every text exactly.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import tempfile
import tomllib
from pathlib import Path

import tomli_w
import yaml

from quick_replies.library import (
    MAX_FILE_BYTES,
    EntryError,
    FaqEntry,
    QuickReply,
    Source,
    clean,
    parse_faq,
    parse_reply,
)

REPLY_COLUMNS = ["title", "body", "shortcut", "tags", "folder", "language"]
FAQ_COLUMNS = ["question", "answer", "keywords", "category"]
FORMATS = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json", ".csv": "csv"}
FILE_NAME_BYTES = 120  # of a folder's file name, well under the 255 bytes file systems allow
MAX_YAML_DEPTH = 20  # a library document needs 4; deeper is hostile or a mistake
# What a spreadsheet takes as the start of a formula (OWASP's CSV injection list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ImportError_(ValueError):
    """A file that cannot be imported at all (unknown format, unreadable); names the file and, if known, line."""


def reply_record(reply: QuickReply) -> dict:
    record = {"id": reply.id, "title": reply.title, "body": reply.body, "language": reply.language}
    if reply.shortcut:
        record["shortcut"] = reply.shortcut
    if reply.tags:
        record["tags"] = list(reply.tags)
    record["folder"] = reply.folder
    return record


def faq_record(faq: FaqEntry) -> dict:
    record = {"id": faq.key, "question": faq.question, "answer": faq.answer}
    if faq.keywords:
        record["keywords"] = list(faq.keywords)
    if faq.category:
        record["category"] = faq.category
    return record


def folder_file_name(folder: str) -> str:
    """A file name of its own for each folder name: the folder name itself where it is a safe file name,
    else a readable slug plus a short hash of the folder name (two emoji-only folders must not share a file,
    and a long name must not exceed what the file system allows)."""
    slug = folder_slug(folder)
    if slug == folder and len(f"{slug}.toml".encode()) <= FILE_NAME_BYTES:
        return f"{slug}.toml"
    return hashed_file_name(folder)


def hashed_file_name(folder: str) -> str:
    digest = hashlib.sha256(folder.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    slug = folder_slug(folder).encode()[:FILE_NAME_BYTES - 16].decode("utf-8", "ignore").strip("-.")
    return f"{slug or 'folder'}-{digest}.toml"


def legacy_file_name(folder: str) -> str:
    """The name earlier versions gave a folder's file (lossy: every emoji-only folder was replies.toml)."""
    return f"{folder_slug(folder) or 'replies'}.toml"


def folder_slug(folder: str) -> str:
    return re.sub(r"[^\w.-]+", "-", folder, flags=re.UNICODE).strip("-.")


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:  # written as given: CSV cells keep CR
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def library_file_text(folder: str, replies: list[QuickReply], faqs: list[FaqEntry]) -> str:
    document: dict = {"folder": folder}
    if replies:
        document["reply"] = [{k: v for k, v in reply_record(r).items() if k != "folder"} for r in replies]
    if faqs:
        document["faq"] = [faq_record(f) for f in faqs]
    return "# Written by agent-console; edit freely.\n" + toml_text(document)


def toml_text(document: dict) -> str:
    """TOML with readable multi-line strings, unless a text holds CR LF: tomli_w writes that as a bare LF in a
    multi-line string, which would change the text."""
    crlf = any("\r\n" in value for value in strings_in(document))
    return tomli_w.dumps(document, multiline_strings=not crlf)


def strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


# --- export -----------------------------------------------------------------------------------------------


def export_text(replies: list[QuickReply], faqs: list[FaqEntry], fmt: str, kind: str = "reply") -> str:
    if fmt == "csv":
        return csv_text(replies, faqs, kind)
    document = {"reply": [reply_record(r) for r in replies], "faq": [faq_record(f) for f in faqs]}
    if fmt == "json":
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if fmt == "yaml":
        return yaml.dump(document, Dumper=PlainDumper, allow_unicode=True, sort_keys=False)
    return toml_text(document)


class PlainDumper(yaml.SafeDumper):
    """Never writes anchors or aliases: the import refuses them."""

    def ignore_aliases(self, data) -> bool:
        return True


def represent_text(dumper: PlainDumper, text: str):
    # PyYAML folds the Unicode line breaks NEL, LS and PS in plain and single-quoted scalars and reads them
    # back changed; a double-quoted scalar escapes them.
    style = '"' if any(c in text for c in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


PlainDumper.add_representer(str, represent_text)


def csv_text(replies: list[QuickReply], faqs: list[FaqEntry], kind: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if kind == "faq":
        writer.writerow(FAQ_COLUMNS)
        for faq in faqs:
            writer.writerow(map(formula_escaped, [faq.question, faq.answer, ";".join(faq.keywords), faq.category]))
    else:
        writer.writerow(REPLY_COLUMNS)
        for reply in replies:
            writer.writerow(map(formula_escaped, [reply.title, reply.body, reply.shortcut, ";".join(reply.tags),
                                                  reply.folder, reply.language]))
    return buffer.getvalue()


def formula_escaped(cell: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading single quote (OWASP). So that import can
    undo exactly this, a cell that is already quotes before a formula character gets one more quote."""
    return "'" + cell if cell.lstrip("'").startswith(FORMULA_START) else cell


def formula_unescaped(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_START) else cell


# --- import -----------------------------------------------------------------------------------------------


def read_records(path: Path) -> tuple[list[tuple[int, dict]], list[tuple[int, dict]]]:
    """(line, record) pairs for replies and for FAQ entries; raises ImportError_ for an unreadable file."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImportError_(f"{path}: unknown format; use .yaml, .yml, .toml, .json or .csv")
    text = read_text(path)
    if fmt == "csv":
        return read_csv(path, text)
    document = parse_document(path, text, fmt)
    if not isinstance(document, dict):
        raise ImportError_(f"{path}: expected a document with 'reply' and/or 'faq' lists")
    replies = document.get("reply", document.get("replies", [])) or []
    faqs = document.get("faq", document.get("faqs", [])) or []
    if not isinstance(replies, list) or not isinstance(faqs, list):
        raise ImportError_(f"{path}: 'reply' and 'faq' must be lists")
    return [(0, r) for r in replies], [(0, f) for f in faqs]


def read_text(path: Path) -> str:
    """The file's text, read no further than the size limit (the path may be a pipe or a device)."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise ImportError_(f"{path}: the file is over {MAX_FILE_BYTES // (1024 * 1024)} MiB; split it")
        # Newlines stay as they are: a CSV cell may hold a carriage return of its own.
        return raw.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ImportError_(f"{path}: cannot read: {error}") from None


def parse_document(path: Path, text: str, fmt: str):
    try:
        if fmt == "json":
            return json.loads(text)
        if fmt == "yaml":
            return yaml.load(text, Loader=PlainYamlLoader)
        return tomllib.loads(text)
    except RecursionError:
        raise ImportError_(f"{path}: not valid {fmt.upper()}: nested too deeply") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        # Only PyYAML's description of the problem: its full message quotes the offending line.
        raise ImportError_(f"{where}: not valid YAML: {clean(error.problem or 'unreadable')}") from None
    except json.JSONDecodeError as error:
        raise ImportError_(f"{path}:{error.lineno}: not valid JSON: {clean(error.msg)}") from None
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"line (\d+)", str(error))
        where = f"{path}:{line.group(1)}" if line else str(path)
        raise ImportError_(f"{where}: not valid TOML: {clean(str(error))}") from None
    except (ValueError, yaml.YAMLError) as error:  # e.g. an integer too long to convert
        raise ImportError_(f"{path}: not valid {fmt.upper()}: {clean(str(error))}") from None


class PlainYamlLoader(yaml.SafeLoader):
    """Safe YAML without anchors and aliases (a library never needs them; alias bombs do) and with bounded
    nesting, refused at the line where they appear."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.MarkedYAMLError(problem="anchors and aliases (& and *) are not allowed in a library file",
                                       problem_mark=event.start_mark)
        self.depth = getattr(self, "depth", 0) + 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise yaml.MarkedYAMLError(problem=f"nested more than {MAX_YAML_DEPTH} levels deep",
                                           problem_mark=event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def read_csv(path: Path, text: str) -> tuple[list[tuple[int, dict]], list[tuple[int, dict]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        columns = [c.strip().lower() for c in (reader.fieldnames or [])]
        if {"title", "body"} <= set(columns):
            kind = "reply"
        elif {"question", "answer"} <= set(columns):
            kind = "faq"
        else:
            raise ImportError_(f"{path}:1: the header must name {','.join(REPLY_COLUMNS)} or "
                               f"{','.join(FAQ_COLUMNS)}")
        records = []
        for row in reader:
            record = {(key or "").strip().lower(): formula_unescaped(value or "") for key, value in row.items()
                      if isinstance(value, str | None)}
            for list_column in ("tags", "keywords"):
                if list_column in record:
                    record[list_column] = [item for item in record[list_column].split(";") if item.strip()]
            records.append((reader.line_num, record))
    except csv.Error as error:
        # The csv module's own limit (a cell over 128 KiB) or a malformed row: nothing is imported.
        raise ImportError_(f"{path}:{reader.line_num + 1}: not valid CSV: {clean(str(error))}") from None
    return (records, []) if kind == "reply" else ([], records)


def parse_records(path: Path, replies, faqs, default_folder: str):
    """Entries (replies may have an empty id, to be assigned) and problems, each naming file and line."""
    parsed_replies, parsed_faqs, problems = [], [], []
    for kind, records, parse, out in (("reply", replies, parse_reply, parsed_replies),
                                      ("faq", faqs, parse_faq, parsed_faqs)):
        for index, (line, record) in enumerate(records, 1):
            source = Source(path, line) if line else Source(path, index, f"{kind} #{index}")
            where = str(source)
            if not isinstance(record, dict):
                problems.append(f"{where}: expected a table of fields")
                continue
            try:
                if kind == "reply":
                    out.append(parse_reply(record, default_folder, source, require_id=False))
                else:
                    out.append(parse_faq(record, default_folder, source))
            except EntryError as error:
                problems.append(f"{where}: {error}")
    return parsed_replies, parsed_faqs, problems
