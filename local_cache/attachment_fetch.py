"""Opening and fetching an attachment, only ever because the agent asked.

A customer's link is data: it may name any scheme (file:, javascript:, data:, a custom app's) and any size.
Only http and https are opened or fetched. A preview fetch has an overall deadline (httpx's own timeouts are per
chunk), a size cap checked while reading, an image/* content type, sends no credentials, and its bytes are
decoded by Pillow inside a guard with a pixel cap: a hostile file is a clear message, never a crash.
"""

from __future__ import annotations

import asyncio
import io
import warnings
from urllib.parse import urlsplit

import httpx
from PIL import Image

MAX_PREVIEW_BYTES = 10 * 2**20
MAX_PREVIEW_PIXELS = 40_000_000  # a 6000x6000 photo fits; a decompression bomb does not
FETCH_DEADLINE = 15.0
MAX_REDIRECTS = 3  # Chatwoot's links redirect once, to the storage service


class NotFetched(Exception):
    """Why the attachment was not opened or previewed, in words for the agent."""


# Bidirectional controls and zero-width characters: they reorder or hide what the agent reads of a link.
BIDI_AND_INVISIBLE = frozenset("\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                               "\u2060\u2066\u2067\u2068\u2069\ufeff")


def refusal(url: str) -> str:
    """Why this link is not opened ("" when it may be): only http(s) with a host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "not a valid web address"
    if parts.scheme.lower() not in ("http", "https"):
        scheme = parts.scheme.lower()
        return f"{scheme}: links are not opened, only http and https" if scheme else "not a web address"
    if not parts.hostname:
        return "the address names no host"
    if any(ord(ch) < 0x21 or 0x7F <= ord(ch) < 0xA0 or ch in BIDI_AND_INVISIBLE for ch in url):
        # What the line shows (with stand-ins) would then differ from what the browser is given.
        return "the address contains control characters, spaces or invisible characters"
    if "@" in parts.netloc:
        # user:pass@evil.example@good.example reads as one host and goes to another: a phishing shape.
        return "the address carries a user name or password before its host"
    return ""


async def fetch_image(url: str, *, max_bytes: int = MAX_PREVIEW_BYTES, deadline: float = FETCH_DEADLINE,
                      transport: httpx.AsyncBaseTransport | None = None) -> Image.Image:
    reason = refusal(url)
    if reason:
        raise NotFetched(reason)
    try:
        async with asyncio.timeout(deadline):
            content = await _download(url, max_bytes, transport)
    except TimeoutError:
        raise NotFetched(f"no complete answer within {deadline:g} s") from None
    except httpx.HTTPError as error:
        raise NotFetched(f"cannot fetch it: {type(error).__name__}") from None
    return decoded_image(content)


async def _download(url: str, max_bytes: int, transport) -> bytes:
    async with httpx.AsyncClient(follow_redirects=True, max_redirects=MAX_REDIRECTS, transport=transport,
                                 timeout=httpx.Timeout(FETCH_DEADLINE)) as client:
        async with client.stream("GET", url, headers={"Accept": "image/*"}) as response:
            if response.status_code != 200:
                raise NotFetched(f"the server answered {response.status_code}")
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if not kind.startswith("image/"):
                raise NotFetched(f"not an image (the server says {kind[:60] or 'nothing'})")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise NotFetched(f"over {max_bytes // 2**20} MB")
            content = bytearray()
            async for chunk in response.aiter_bytes():
                content += chunk
                if len(content) > max_bytes:
                    raise NotFetched(f"over {max_bytes // 2**20} MB")
            return bytes(content)


def decoded_image(content: bytes) -> Image.Image:
    """The bytes as a loaded image, or NotFetched: Pillow's parsers meet hostile files here, so anything it
    raises becomes a message."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            if image.width * image.height > MAX_PREVIEW_PIXELS:
                raise NotFetched(f"too large to preview ({image.width}x{image.height} pixels)")
            image.load()
    except NotFetched:
        raise
    except Exception as error:  # noqa: BLE001 - any decoder failure is the file's, not ours
        raise NotFetched(f"not an image that can be shown ({type(error).__name__})") from None
    return image
