"""Hypothesis drives the outbox and the engine's push through random fault schedules and crashes.

The backend is the real reference application (backend.api.create_app over a real SQLite file), reached
through httpx's ASGI transport wrapped in a fault-injecting transport. That in-process transport is the one
exception to "real sockets" in this suite: it lets hypothesis try hundreds of schedules (refused connections,
answers lost after the server applied the request, 503s, 429s, crashes mid-push) in seconds. The same
faults over real sockets and real processes are in test_delivery_faults.py and test_crash_safety.py.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import httpx
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from backend.api import create_app
from backend.store import BackendStore
from local_cache.backend_client import AuthenticationRejected, BackendUnavailable
from local_cache.reference_client import ReferenceApiClient
from local_cache.store import LocalStore
from local_cache.sync_engine import SyncEngine

TOKEN = "machine-token"
FAULTS = ["ok", "refuse", "lost", "503", "429", "401"]


class FaultyTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport):
        self.inner = inner
        self.next_fault = "ok"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault, self.next_fault = self.next_fault, "ok"
        error = {"error": {"code": "injected", "message": "injected"}}
        if fault == "refuse":
            raise httpx.ConnectError("connection refused", request=request)
        if fault == "503":
            return httpx.Response(503, json=error)
        if fault == "429":
            return httpx.Response(429, json=error, headers={"Retry-After": "3"})
        if fault == "401":
            return httpx.Response(401, json=error)
        response = await self.inner.handle_async_request(request)
        if fault == "lost":  # the server applied it; the client never hears back
            await response.aread()
            raise httpx.ReadError("connection reset by peer", request=request)
        return response


class OutboxMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="outbox-machine-"))
        self.backend = BackendStore(self.dir / "backend.sqlite3")
        self.chats = [self.backend.open_chat(f"客户{n}", "web")["id"] for n in range(3)]
        self.transport = FaultyTransport(httpx.ASGITransport(app=create_app(self.backend, agent_token=TOKEN,
                                                                            agent_name="Machine")))
        self.now = 1_000_000.0
        self.loop = asyncio.new_event_loop()
        self.expected: dict[str, list[str]] = {chat: [] for chat in self.chats}
        self.doomed: list[str] = []
        self.counter = 0
        self.session = None
        self._start()

    def _start(self) -> None:
        engine = SyncEngine(
            lambda: LocalStore(self.dir / "agent.sqlite3", clock=lambda: self.now),
            lambda: ReferenceApiClient("http://reference", TOKEN, transport=self.transport),
        )
        self.session = engine.session()
        self.engine = self.loop.run_until_complete(self.session.__aenter__())
        assert self.engine.hold_push_lock()  # requeues whatever a "crashed" predecessor left in sending

    def _stop(self) -> None:
        self.loop.run_until_complete(self.session.__aexit__(None, None, None))

    def _text(self) -> str:
        self.counter += 1
        return f"m{self.counter}"

    @rule(chat=st.integers(0, 2))
    def agent_sends(self, chat):
        text = self._text()
        self.engine.store.outbox.enqueue_message(self.chats[chat], text)
        self.expected[self.chats[chat]].append(text)

    @rule()
    def agent_sends_to_a_chat_the_server_lacks(self):
        text = self._text()
        self.engine.store.outbox.enqueue_message("ch_missing", text)
        self.doomed.append(text)

    @rule(fault=st.sampled_from(FAULTS))
    def push(self, fault):
        self.now += 60  # past any backoff
        self.transport.next_fault = fault
        try:
            self.loop.run_until_complete(self.engine.push_once())
        except (BackendUnavailable, AuthenticationRejected):
            pass
        finally:
            self.transport.next_fault = "ok"  # unused when nothing was due

    @rule()
    def crash_after_the_server_applied_a_push(self):
        items = self.engine.store.outbox.due_items(100)
        if not items:
            return
        self.engine.store.outbox.mark_sending(items)
        self.loop.run_until_complete(self.engine.client.deliver(items))  # applied; the process dies now
        self._stop()
        self._start()

    @rule()
    def restart(self):
        self._stop()
        self._start()

    @invariant()
    def every_key_is_applied_at_most_once(self):
        duplicates = self.backend.conn.execute(
            "SELECT client_key FROM messages WHERE client_key IS NOT NULL GROUP BY client_key HAVING COUNT(*) > 1"
        ).fetchall()
        assert duplicates == []

    @invariant()
    def each_chat_receives_a_prefix_of_what_was_sent_in_order(self):
        for chat, sent in self.expected.items():
            held = [m["text"] for m in self.backend.messages_after(chat, 0, 10_000) if m["author"] == "agent"]
            assert held == sent[: len(held)]

    def teardown(self):
        try:
            for _ in range(50):
                if self.engine.store.outbox.depth() == 0:
                    break
                self.push("ok")
            for chat, sent in self.expected.items():
                held = [m["text"] for m in self.backend.messages_after(chat, 0, 10_000) if m["author"] == "agent"]
                assert held == sent, "once the faults stop, everything arrives, once, in order"
            states = {i.body["text"]: i.state for i in self.engine.store.outbox.items()}
            assert all(states[text] == "rejected" for text in self.doomed)
            assert all(state in ("sent", "rejected") for state in states.values())
        finally:
            self._stop()
            self.loop.close()
            self.backend.close()
            shutil.rmtree(self.dir, ignore_errors=True)


OutboxMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
TestOutboxUnderFaults = OutboxMachine.TestCase


class PartialBatchTransport(httpx.AsyncBaseTransport):
    """The reference server never fails one batch item transiently; other backends may. Force it once:
    the server applied only the first two items and answers 503 for the third (and drops the rest)."""

    def __init__(self, inner: httpx.AsyncBaseTransport):
        self.inner, self.armed = inner, True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not (self.armed and request.url.path.endswith("/batch")):
            return await self.inner.handle_async_request(request)
        self.armed = False
        import json as json_module

        body = json_module.loads(request.content)
        third = body["items"][2]["idempotency_key"]  # a server answers each item under its own key
        body["items"] = body["items"][:2]
        shortened = httpx.Request(request.method, request.url, headers={
            k: v for k, v in request.headers.items() if k.lower() != "content-length"}, json=body)
        response = await self.inner.handle_async_request(shortened)
        results = json_module.loads(await response.aread())["results"]
        busy = {"error": {"code": "busy", "message": "busy"}}
        results.append({"idempotency_key": third, "status": 503, "body": busy})
        return httpx.Response(200, json={"results": results})


def test_a_batch_applied_partway_settles_the_prefix_and_retries_the_rest(tmp_path):
    backend = BackendStore(tmp_path / "backend.sqlite3")
    chat_id = backend.open_chat("陈静", "web")["id"]
    app = create_app(backend, agent_token=TOKEN, agent_name="A")
    transport = PartialBatchTransport(httpx.ASGITransport(app=app))
    now = [1_000.0]
    engine = SyncEngine(
        lambda: LocalStore(tmp_path / "agent.sqlite3", clock=lambda: now[0]),
        lambda: ReferenceApiClient("http://reference", TOKEN, transport=transport),
    )

    async def scenario():
        async with engine.session():
            assert engine.hold_push_lock()
            for n in range(5):
                engine.store.outbox.enqueue_message(chat_id, f"m{n}")
            assert await engine.push_once() == 2
            states = [i.state for i in engine.store.outbox.items()]
            assert states == ["sent", "sent", "queued", "queued", "queued"]
            assert await engine.push_once() == 0, "the rest waits for its backoff"
            now[0] += 60
            assert await engine.push_once() == 3

    asyncio.run(scenario())
    assert [m["text"] for m in backend.messages_after(chat_id, 0, 100)] == [f"m{n}" for n in range(5)]
    backend.close()
