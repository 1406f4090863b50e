"""A fault-injecting HTTP/1.1 proxy on 127.0.0.1, in front of the real reference backend.

It reads whole requests (head + Content-Length body) so it can fault one request at a time on a kept-alive
connection. Faults are taken, in order, by requests that match `plan`'s predicate (by default: POSTs):
  "pass"     forward and relay the response;
  "reset"    forward, read the backend's whole response (so the server has applied the request), then reset
             the client's connection instead of answering: the client never learns the outcome;
  "stall"    forward, then never answer (until the client gives up or the proxy is restored);
  "503"      answer 503 without forwarding;
  "429:N"    answer 429 with Retry-After: N without forwarding;
  "NNN"      answer that status (e.g. "422") without forwarding;
  "garbage"  forward, then answer 200 with a body that is not JSON;
  "wrongtypes" forward, then answer 200 with the real JSON document, every value of the wrong type
             (strings become numbers, numbers strings, booleans strings, null a list);
  "truncated" forward, then answer 200 with the first half of the real body (a well-formed HTTP answer whose
             JSON is cut short);
  "cut"      forward, then promise the whole body and close the connection halfway through it.
The body faults forward first, so on POST /batch the server has applied the items the client never hears about.
`fail(fault, matches)` gives every matching request that fault until `heal()` (a lasting outage of one
endpoint); `faulted(...)` counts the requests that got one.
`refuse()` closes the listening socket and drops every connection (the backend is unreachable);
`restore()` listens again on the same port.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from collections import deque
from typing import Callable


async def read_http_message(reader: asyncio.StreamReader) -> bytes | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    length, chunked = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        elif name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True  # the change feed's heartbeats: relayed whole, once the last chunk is in
    if chunked:
        return head + await read_chunks(reader)
    body = await reader.readexactly(length) if length else b""
    return head + body


async def read_chunks(reader: asyncio.StreamReader) -> bytes:
    body = b""
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";")[0].strip(), 16)
        chunk = await reader.readexactly(size + 2)  # data and its CRLF
        body += size_line + chunk
        if size == 0:
            return body


def split_response(raw: bytes) -> tuple[bytes, bytes]:
    """The status line and the body (de-chunked) of a whole HTTP/1.1 response read by read_http_message."""
    head, _, body = raw.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        data, rest = b"", body
        while True:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                break
            data, rest = data + rest[:size], rest[size + 2:]
        body = data
    return head.split(b"\r\n", 1)[0], body


def answer_200(body: bytes, promised: int | None = None) -> bytes:
    length = len(body) if promised is None else promised
    return (f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n").encode() + body


def wrong_types(value):
    """The same document with every value of another JSON type than the API says."""
    if isinstance(value, dict):
        return {key: wrong_types(item) for key, item in value.items()}
    if isinstance(value, list):
        return [wrong_types(item) for item in value]
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return 12345
    return []


def corrupted(fault: str, response: bytes) -> tuple[bytes, bool]:
    """What a body fault sends instead of `response`, and whether the connection is closed after it."""
    _, body = split_response(response)
    if fault == "garbage":
        return answer_200(b"<html>\xff\xfe not json at all {{{"), False
    if fault == "wrongtypes":
        return answer_200(json.dumps(wrong_types(json.loads(body))).encode()), False
    if fault == "truncated":
        return answer_200(body.strip()[: len(body.strip()) // 2]), False
    return answer_200(body[: len(body) // 2], promised=len(body)), True  # "cut"


BODY_FAULTS = {"garbage", "wrongtypes", "truncated", "cut"}


def canned(status: int, reason: str, extra_headers: str = "") -> bytes:
    body = b'{"error": {"code": "injected", "message": "fault injected by the test proxy"}}'
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        f"{extra_headers}\r\n"
    ).encode() + body


def reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        # SO_LINGER with a zero timeout turns close() into a TCP reset.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    def __init__(self, upstream_url: str):
        host_port = upstream_url.split("//", 1)[1]
        self.upstream_host, port = host_port.rsplit(":", 1)
        self.upstream_port = int(port)
        self.port = 0
        self._faults: deque[str] = deque()
        self._matches: Callable[[str, str], bool] = lambda method, path: method == "POST"
        self._lasting: tuple[str, Callable[[str, str], bool]] | None = None
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.requests_seen: list[tuple[str, str, str]] = []  # (method, path, fault)
        self.stalled_now = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- control, from the test's thread ------------------------------------------------------------------

    def start(self) -> "FaultProxy":
        self._thread.start()
        self._call(self._listen())
        return self

    def plan(self, *faults: str, matches: Callable[[str, str], bool] | None = None) -> None:
        def apply():
            self._faults.clear()
            self._faults.extend(faults)
            if matches is not None:
                self._matches = matches

        self._loop.call_soon_threadsafe(apply)

    def fail(self, fault: str, matches: Callable[[str, str], bool]) -> None:
        """Every request that `matches` gets `fault` until heal()."""
        self._call(self._set_lasting((fault, matches)))

    def heal(self) -> None:
        self._call(self._set_lasting(None))

    async def _set_lasting(self, lasting) -> None:
        self._lasting = lasting

    def faulted(self, fault: str | None = None) -> int:
        return sum(1 for _, _, f in list(self.requests_seen) if f != "pass" and fault in (None, f))

    def refuse(self) -> None:
        self._call(self._close(drop_connections=True))

    def restore(self) -> None:
        self._call(self._listen())

    def stop(self) -> None:
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _shutdown(self) -> None:
        await self._close(drop_connections=True)
        handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    # --- the proxy, on its own loop ---------------------------------------------------------------------

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)
            self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self, drop_connections: bool) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if drop_connections:
            for writer in list(self._writers):
                reset(writer)
            self._writers.clear()

    def _next_fault(self, method: str, path: str) -> str:
        if self._lasting is not None and self._lasting[1](method, path):
            return self._lasting[0]
        if self._faults and self._matches(method, path):
            return self._faults.popleft()
        return "pass"

    async def _handle(self, client_reader, client_writer) -> None:
        self._writers.add(client_writer)
        upstream = None
        try:
            while True:
                request = await read_http_message(client_reader)
                if request is None:
                    return
                method, path = request.split(b" ", 2)[:2]
                fault = self._next_fault(method.decode(), path.decode())
                self.requests_seen.append((method.decode(), path.decode(), fault))
                if fault == "503":
                    client_writer.write(canned(503, "Service Unavailable"))
                    continue
                if fault.startswith("429"):
                    seconds = fault.partition(":")[2] or "1"
                    client_writer.write(canned(429, "Too Many Requests", f"retry-after: {seconds}\r\n"))
                    continue
                if fault.isdigit():  # any other status, answered without forwarding
                    client_writer.write(canned(int(fault), "Injected"))
                    continue
                if upstream is None:
                    upstream = await asyncio.open_connection(self.upstream_host, self.upstream_port)
                upstream[1].write(request)
                await upstream[1].drain()
                if fault == "stall":
                    self.stalled_now += 1
                    try:
                        await client_reader.read()  # hold the answer until the client gives up and hangs up
                    finally:
                        self.stalled_now -= 1
                    return
                response = await read_http_message(upstream[0])
                if response is None:
                    reset(client_writer)
                    return
                if fault == "reset":
                    reset(client_writer)
                    return
                if fault in BODY_FAULTS:
                    response, hang_up = corrupted(fault, response)
                    client_writer.write(response)
                    await client_writer.drain()
                    if hang_up:
                        return
                    continue
                client_writer.write(response)
                await client_writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass  # the proxy is stopping; asyncio's stream callback would report a cancelled handler as an error
        finally:
            self._writers.discard(client_writer)
            if upstream is not None:
                upstream[1].close()
            if not client_writer.transport.is_closing():
                client_writer.close()
