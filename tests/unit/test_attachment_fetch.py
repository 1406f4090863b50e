"""Fetching an attachment for a preview, against a real HTTP server on 127.0.0.1 that misbehaves on purpose."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from local_cache.attachment_fetch import NotFetched, fetch_image, refusal


def png(width: int, height: int, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height)).save(out, format="PNG")
    return out.getvalue()


SMALL = png(40, 30)
BOMB = png(10_000, 5_000, "1")  # 50 megapixels in a few KiB


class Misbehaving(BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path
        if path == "/ok.png":
            self.answer(SMALL, "image/png")
        elif path == "/page":
            self.answer(b"<html></html>", "text/html; charset=utf-8")
        elif path == "/declared-huge":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(11 * 2**20))
            self.end_headers()
        elif path == "/endless":  # no Content-Length: the cap is checked while reading
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()
            try:
                for _ in range(2000):
                    self.wfile.write(b"\xff" * 65536)
            except OSError:
                pass
        elif path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                pass
        elif path == "/bomb.png":
            self.answer(BOMB, "image/png")
        elif path == "/garbage.png":
            self.answer(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "image/png")
        elif path == "/to-file":
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()
        elif path == "/secret":
            self.answer(b"", "image/png", 403)
        else:
            self.answer(b"", "text/plain", 404)

    def answer(self, body: bytes, kind: str, status: int = 200):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Misbehaving)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def fetch(url: str, **kwargs):
    return asyncio.run(fetch_image(url, **kwargs))


def test_a_real_image_is_fetched_and_decoded(server):
    assert fetch(f"{server}/ok.png").size == (40, 30)


@pytest.mark.parametrize("path, reason", [
    ("/page", "not an image (the server says text/html)"),
    ("/declared-huge", "over 10 MB"),
    ("/endless", "over 10 MB"),
    ("/bomb.png", "too large to preview (10000x5000 pixels)"),
    ("/garbage.png", "not an image that can be shown"),
    ("/to-file", "cannot fetch it"),
    ("/secret", "the server answered 403"),
])
def test_what_is_not_an_image_to_show_is_a_clear_reason(server, path, reason):
    with pytest.raises(NotFetched) as refused:
        fetch(server + path)
    assert str(refused.value).startswith(reason)


def test_a_server_trickling_bytes_meets_the_overall_deadline(server):
    started = time.monotonic()
    with pytest.raises(NotFetched, match="no complete answer within 0.5 s"):
        fetch(f"{server}/trickle", deadline=0.5)
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("url, reason", [
    ("file:///etc/passwd", "file: links are not opened, only http and https"),
    ("javascript:alert(1)", "javascript: links are not opened"),
    ("data:image/png;base64,AAAA", "data: links are not opened"),
    ("smb://host/share", "smb: links are not opened"),
    ("//no-scheme.example/a.png", "not a web address"),
    ("https:///a.png", "the address names no host"),
    ("https://e.x/a b.png", "the address contains control characters, spaces"),
    ("https://e.x/\x1b]8;;x\x07", "the address contains control characters, spaces"),
    ("https://example.com/\x9b31mx.jpg", "the address contains control characters"),  # C1: shown as <U+009B>
    ("https://e.x/\u202egpj.exe", "the address contains control characters"),  # reads as exe.jpg
    ("https://e.x/a\u200b.png", "the address contains control characters"),
    ("https://user:pass@evil.example.com@good.example.com/x.jpg", "the address carries a user name"),
    ("https://good.example.com@evil.example/x.jpg", "the address carries a user name"),
])
def test_only_http_links_are_opened_or_fetched(url, reason):
    assert refusal(url).startswith(reason)
    with pytest.raises(NotFetched):
        fetch(url)
    assert refusal("https://cdn.example.com/破损.jpg?a=1") == ""
