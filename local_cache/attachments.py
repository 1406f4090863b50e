"""A message's attachments: checked as they arrive from a backend, and kept in the store as one JSON column.

A backend's attachment list is data from customers and from whatever a platform stored: one odd item is dropped
(with its reason logged) rather than stopping the feed for every chat. What is kept is shown inert and only ever
opened or fetched when the agent asks; the URL's scheme is checked then (local_cache/attachment_fetch.py), not
here, so the agent still sees that a customer sent something at a link the console will not open.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import msgspec

from local_cache.models import Attachment

log = logging.getLogger(__name__)

MAX_ATTACHMENTS = 10
MAX_NAME_CHARS = 255
MAX_TYPE_CHARS = 100
MAX_URL_CHARS = 2000


def usable_attachments(raw: Any, where: str) -> tuple[Attachment, ...]:
    """The items of `raw` that are attachments, at most ten; each one that is not is logged and left out."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        log.warning("%s: attachments dropped: a %s, not a list", where, type(raw).__name__)
        return ()
    if len(raw) > MAX_ATTACHMENTS:
        log.warning("%s: %d attachments; the first %d kept", where, len(raw), MAX_ATTACHMENTS)
    kept = []
    for index, item in enumerate(raw[:MAX_ATTACHMENTS]):
        attachment, problem = checked(item)
        if attachment is None:
            log.warning("%s: attachments[%d] dropped: %s", where, index, problem)
        else:
            kept.append(attachment)
    return tuple(kept)


def checked(item: Any) -> tuple[Attachment | None, str]:
    """(the attachment, "") or (None, why not). A name longer than the API allows is cut, not dropped: the agent
    should still see that a file came."""
    if not isinstance(item, dict):
        return None, f"a {type(item).__name__}, not an object"
    name, kind, size, url, ident = (item.get(key) for key in ("name", "type", "size", "url", "id"))
    for field, value in (("name", name), ("type", kind), ("url", url)):
        if not isinstance(value, str):
            return None, f"{field} is {type(value).__name__}, not a string"
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        return None, "size is not a number of bytes"
    if not url or len(url) > MAX_URL_CHARS:
        return None, f"url is empty or over {MAX_URL_CHARS} characters"
    if len(kind) > MAX_TYPE_CHARS:
        return None, f"type is over {MAX_TYPE_CHARS} characters"
    if len(name) > MAX_NAME_CHARS:
        name = name[:MAX_NAME_CHARS - 1] + "…"
    return Attachment(id=str(ident) if isinstance(ident, (str, int)) else "", name=name or "(unnamed)", type=kind,
                      size=size, url=url), ""


# msgspec decodes the column straight into Attachments: a third of json.loads + Attachment(**item) (3.6 µs against
# 11 µs a message), on the transcript's read path.
_COLUMN = msgspec.json.Decoder(tuple[Attachment, ...])


def attachments_json(attachments: tuple[Attachment, ...]) -> str | None:
    """The store's column: NULL for none (nearly every message: nothing to decode on the transcript's read)."""
    if not attachments:
        return None
    return json.dumps([{"id": a.id, "name": a.name, "type": a.type, "size": a.size, "url": a.url}
                       for a in attachments], ensure_ascii=False)


def attachments_from_json(column: str | None) -> tuple[Attachment, ...]:
    return _COLUMN.decode(column) if column else ()
