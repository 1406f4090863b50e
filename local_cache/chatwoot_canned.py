"""Chatwoot's canned responses as a team layer of the quick-reply library, read-only.

They are written, as Chatwoot lists them, to one library file in a folder of their own that the library loads
after the starter replies and before the team's and the agent's (which override them by shortcut). The library
already reloads a file that changed, so a refresh is a rewrite, and only when the list changed. Editing one in
the console saves the agent's own copy; nothing is written back to Chatwoot.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from quick_replies.library import SHORTCUT
from quick_replies.pinyin_readings import is_cjk

FILE_NAME = "chatwoot-canned.toml"
FOLDER = "Chatwoot"


def toml_string(text: str) -> str:
    # JSON's escapes (\n, \", \\, \uXXXX) are TOML basic-string escapes too.
    return json.dumps(text, ensure_ascii=False)


def canned_library_text(canned: list[dict]) -> str:
    lines = ["# Chatwoot's canned responses, as the account lists them; rewritten by the console.\n"
             f"folder = {toml_string(FOLDER)}\n"]
    for entry in sorted(canned, key=lambda item: item["id"]):
        code = str(entry.get("short_code") or "").strip()
        body = str(entry.get("content") or "")
        if not body.strip():
            continue
        shortcut = re.sub(r"[^a-z0-9_-]", "", code.lower())[:20]
        language = "zh" if any(is_cjk(character) for character in body) else "en"
        lines.append("[[reply]]")
        entry_id = f"chatwoot-{entry['id']}"
        lines.append(f"id = {toml_string(entry_id)}")
        lines.append(f"title = {toml_string(code or body[:20])}")
        if SHORTCUT.match(shortcut):
            lines.append(f"shortcut = {toml_string(shortcut)}")
        lines.append(f"language = {toml_string(language)}")
        lines.append(f"body = {toml_string(body)}\n")
    return "\n".join(lines)


def write_canned_library(folder: Path, canned: list[dict]) -> bool:
    """Write the layer's file if its text changed (atomically: the library may be reading it); True if it did."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME
    text = canned_library_text(canned)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return True


async def refresh_canned_library(client, folder: Path) -> bool:
    """Fetch the canned responses through a ChatwootClient and rewrite the layer if they changed."""
    return write_canned_library(folder, await client.canned_responses())
