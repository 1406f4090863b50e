"""Attachments on messages: what a channel may send (checked field by field) and the files this server serves.

A customer's attachment is a link to a file held elsewhere (a shop's CDN, a chat platform's storage); the server
stores the link as sent and never fetches it. The simulator's customers send files this server holds itself
(`simulated_files`), served at `/files/{token}/{name}`: no bearer token, because a browser opening the link
cannot send one; the token (128 random bits) is what keeps a file private.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import quote, urlsplit

from backend.api_errors import ApiError

MAX_ATTACHMENTS = 10
MAX_NAME_CHARS = 255
MAX_TYPE_CHARS = 100
MAX_URL_CHARS = 2000
MAX_SIZE = 2**53  # an exact integer in every JSON reader (a JavaScript client's too)
MIME_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,62}/[A-Za-z0-9*][A-Za-z0-9!#$&^_.+-]{0,62}")
# A message stores the server's own files by path; it leaves as an absolute URL on the host the client asked.
LOCAL_PREFIX = "/files/"


def checked_attachments(body: dict) -> list[dict]:
    """The body's `attachments` as the API stores them, or 422 naming the first field that does not fit."""
    raw = body.get("attachments", [])
    if not isinstance(raw, list):
        raise invalid("attachments", "must be a list")
    if len(raw) > MAX_ATTACHMENTS:
        raise invalid("attachments", f"has over {MAX_ATTACHMENTS} items")
    return [checked_attachment(item, f"attachments[{index}]") for index, item in enumerate(raw)]


def checked_attachment(item: object, where: str) -> dict:
    if not isinstance(item, dict):
        raise invalid(where, "must be an object")
    name, kind, size, url = (item.get(key) for key in ("name", "type", "size", "url"))
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
        raise invalid(f"{where}.name", f"must be a string of 1-{MAX_NAME_CHARS} characters")
    if not isinstance(kind, str) or len(kind) > MAX_TYPE_CHARS or not MIME_TYPE.fullmatch(kind):
        raise invalid(f"{where}.type", f"must be a MIME type (type/subtype) of up to {MAX_TYPE_CHARS} characters")
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_SIZE:
        raise invalid(f"{where}.size", "must be an integer number of bytes, 0 or more")
    if not isinstance(url, str) or len(url) > MAX_URL_CHARS or not is_web_url(url):
        raise invalid(f"{where}.url", f"must be an http or https URL of up to {MAX_URL_CHARS} characters")
    return {"id": "at_" + secrets.token_hex(6), "name": name, "type": kind, "size": size, "url": url}


def is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(
        ord(ch) < 0x21 or ord(ch) == 0x7F for ch in url)


def invalid(field: str, what: str) -> ApiError:
    return ApiError(422, "invalid_attachment", f"{field} {what}")


def valid_content(body: dict, attachments: list[dict], checked_text) -> str:
    """A customer may send a bare photo: text may be empty when there is at least one attachment."""
    if attachments and body.get("text", "") == "":
        return ""
    return checked_text(body)


def local_file(name: str, kind: str, content: bytes) -> tuple[str, dict]:
    """A file for this server to serve: (its token, the attachment a message carries, with a path for url)."""
    token = secrets.token_urlsafe(16)
    path = f"{LOCAL_PREFIX}{token}/{quote(name)}"
    return token, {"id": "at_" + secrets.token_hex(6), "name": name, "type": kind, "size": len(content), "url": path}


def with_absolute_urls(message: dict | None, base_url: str) -> dict | None:
    """The message as a client sees it: this server's own files on the host the client reached it by (the
    embedded server gets a new port each run, so a stored absolute URL would go stale)."""
    if not message or not message.get("attachments"):
        return message
    base = base_url.rstrip("/")
    attachments = [attachment | {"url": base + attachment["url"]} if attachment["url"].startswith(LOCAL_PREFIX)
                   else attachment for attachment in message["attachments"]]
    return message | {"attachments": attachments}
