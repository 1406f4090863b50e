"""Writing library files, and converting entries to and from YAML, TOML, JSON and CSV.

Writes are atomic (a temporary file renamed over the old one), so a crash never leaves half a file that
would then fail to load.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from pathlib import Path

import tomli_w
import yaml

from quick_replies.library import EntryError, FaqEntry, QuickReply, Source, parse_faq, parse_reply

REPLY_COLUMNS = ["title", "body", "shortcut", "tags", "folder", "language"]
FAQ_COLUMNS = ["question", "answer", "keywords", "category"]
FORMATS = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json", ".csv": "csv"}


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
    record = {"question": faq.question, "answer": faq.answer}
    if faq.keywords:
        record["keywords"] = list(faq.keywords)
    if faq.category:
        record["category"] = faq.category
    return record


def folder_file_name(folder: str) -> str:
    slug = re.sub(r"[^\w.-]+", "-", folder, flags=re.UNICODE).strip("-.") or "replies"
    return f"{slug}.toml"


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
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
    return "# Written by agent-console; edit freely.\n" + tomli_w.dumps(document, multiline_strings=True)


# --- export -----------------------------------------------------------------------------------------------


def export_text(replies: list[QuickReply], faqs: list[FaqEntry], fmt: str, kind: str = "reply") -> str:
    if fmt == "csv":
        return csv_text(replies, faqs, kind)
    document = {"reply": [reply_record(r) for r in replies], "faq": [faq_record(f) for f in faqs]}
    if fmt == "json":
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if fmt == "yaml":
        return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    return tomli_w.dumps(document, multiline_strings=True)


def csv_text(replies: list[QuickReply], faqs: list[FaqEntry], kind: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if kind == "faq":
        writer.writerow(FAQ_COLUMNS)
        for faq in faqs:
            writer.writerow([faq.question, faq.answer, ";".join(faq.keywords), faq.category])
    else:
        writer.writerow(REPLY_COLUMNS)
        for reply in replies:
            writer.writerow([reply.title, reply.body, reply.shortcut, ";".join(reply.tags), reply.folder,
                             reply.language])
    return buffer.getvalue()


# --- import -----------------------------------------------------------------------------------------------


def read_records(path: Path) -> tuple[list[tuple[int, dict]], list[tuple[int, dict]]]:
    """(line, record) pairs for replies and for FAQ entries; raises ImportError_ for an unreadable file."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImportError_(f"{path}: unknown format; use .yaml, .yml, .toml, .json or .csv")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ImportError_(f"{path}: cannot read: {error}") from None
    if fmt == "csv":
        return read_csv(path, text)
    try:
        if fmt == "json":
            document = json.loads(text)
        elif fmt == "yaml":
            document = yaml.safe_load(text)
        else:
            import tomllib

            document = tomllib.loads(text)
    except (ValueError, yaml.YAMLError) as error:
        line = getattr(getattr(error, "problem_mark", None), "line", None)
        where = f"{path}:{line + 1}" if line is not None else (
            f"{path}:{error.lineno}" if hasattr(error, "lineno") else str(path))
        raise ImportError_(f"{where}: not valid {fmt.upper()}: {error}") from None
    if not isinstance(document, dict):
        raise ImportError_(f"{path}: expected a document with 'reply' and/or 'faq' lists")
    replies = document.get("reply", document.get("replies", [])) or []
    faqs = document.get("faq", document.get("faqs", [])) or []
    if not isinstance(replies, list) or not isinstance(faqs, list):
        raise ImportError_(f"{path}: 'reply' and 'faq' must be lists")
    return [(0, r) for r in replies], [(0, f) for f in faqs]


def read_csv(path: Path, text: str) -> tuple[list[tuple[int, dict]], list[tuple[int, dict]]]:
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip().lower() for c in (reader.fieldnames or [])]
    if {"title", "body"} <= set(columns):
        kind = "reply"
    elif {"question", "answer"} <= set(columns):
        kind = "faq"
    else:
        raise ImportError_(f"{path}:1: the header must name {','.join(REPLY_COLUMNS)} or {','.join(FAQ_COLUMNS)}")
    records = []
    for row in reader:
        record = {(key or "").strip().lower(): (value or "") for key, value in row.items()}
        for list_column in ("tags", "keywords"):
            if list_column in record:
                record[list_column] = [item for item in record[list_column].split(";") if item.strip()]
        records.append((reader.line_num, record))
    return (records, []) if kind == "reply" else ([], records)


def parse_records(path: Path, replies, faqs, default_folder: str):
    """Entries (replies may have an empty id, to be assigned) and problems, each naming file and line."""
    parsed_replies, parsed_faqs, problems = [], [], []
    for kind, records, parse, out in (("reply", replies, parse_reply, parsed_replies),
                                      ("faq", faqs, parse_faq, parsed_faqs)):
        for index, (line, record) in enumerate(records, 1):
            source = Source(path, line or index)
            where = str(source) if line else f"{path}: {kind} #{index}"
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
