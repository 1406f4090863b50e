"""What the reference backend accepts, and the 4xx for anything beyond it (docs/api.md, "Limits").

Every limit here answers a way one request could make the server fail (500) or make its answers huge: a body
read whole into memory, JSON nested deep enough to exhaust the parser's recursion, a lone surrogate that SQLite
cannot store as UTF-8, an integer SQLite cannot hold, a customer field of a megabyte repeated in every event.
"""

from __future__ import annotations

import json
import re

from starlette.requests import Request

from backend.api_errors import ApiError

MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 20
MAX_SQLITE_INTEGER = 2**63 - 1
# Customer fields that travel with the chat in every event and every list: each has a cap (characters).
FIELD_CAPS = {"name": 100, "title": 50, "channel": 32, "language": 35, "id": 100}
MAX_PROFILE_BYTES = 8 * 1024  # phone, id_number and orders, as UTF-8 JSON
MAX_TAGS = 20
MAX_TAG_CHARS = 50
MAX_TRANSFER_TARGET_CHARS = 100
# A page of events or messages stops growing once its items pass this many bytes (at least one item is
# always sent, and the largest one allowed is far below it); the client asks again at once for the rest.
MAX_PAGE_BYTES = 1024 * 1024

SURROGATE = re.compile("[\ud800-\udfff]")


async def read_json_object(request: Request) -> dict:
    """The request's JSON object, or the 4xx that says why not: 413 over 64 KiB (read no further than that),
    400 for bad JSON, nesting deeper than MAX_JSON_DEPTH or a string that is not valid Unicode."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(413, "too_large", f"request body over {MAX_BODY_BYTES} bytes")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            raise ApiError(413, "too_large", f"request body over {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(bytes(raw) or b"{}")
    except RecursionError:  # the parser gives up near 1000 levels, cleanly; deeper than we accept anyway
        raise ApiError(400, "bad_json", f"request body is nested deeper than {MAX_JSON_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "bad_json", "request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", "request body must be a JSON object")
    check_values(body)
    return body


def check_values(body: dict) -> None:
    """Walk the parsed body without recursion: nesting within MAX_JSON_DEPTH (what is stored must be
    serialisable again), and no lone surrogate (valid JSON, but not a character: SQLite cannot store it)."""
    pending = [(body, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if SURROGATE.search(item):
                raise ApiError(400, "bad_json", "request body holds a lone UTF-16 surrogate (an escape in "
                                                "\\ud800-\\udfff without its pair), which is not a character")
        elif isinstance(item, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise ApiError(400, "bad_json", f"request body is nested deeper than {MAX_JSON_DEPTH} levels")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending += [(child, depth + 1) for child in children]


def capped_text(container: dict, key: str, where: str, default: str) -> str:
    value = container.get(key, default)
    if not isinstance(value, str):
        raise ApiError(422, "invalid_customer", f"{where}{key} must be a string")
    if len(value) > FIELD_CAPS[key]:
        raise ApiError(422, "field_too_long", f"{where}{key} is over {FIELD_CAPS[key]} characters")
    return value


def checked_profile(customer: dict) -> dict:
    profile = {key: customer[key] for key in ("phone", "id_number", "orders") if key in customer}
    if len(json.dumps(profile, ensure_ascii=False).encode()) > MAX_PROFILE_BYTES:
        raise ApiError(422, "field_too_long", f"customer phone, id_number and orders are over {MAX_PROFILE_BYTES} "
                                              "bytes together")
    return profile


def within_page_bytes(items: list[dict]) -> list[dict]:
    """The leading items whose JSON fits MAX_PAGE_BYTES (always the first one)."""
    total = 0
    for count, item in enumerate(items):
        total += len(json.dumps(item, ensure_ascii=False).encode())
        if total > MAX_PAGE_BYTES and count:
            return items[:count]
    return items
