"""Every endpoint the client uses, every kind of bad answer: the sync engine survives, says so, and catches up.

The real reference backend behind tests/fault_proxy.py (a real proxy on 127.0.0.1). Each case breaks one
endpoint for as long as it takes the engine to meet the fault twice (it asked again: it survived the first),
lets a customer write meanwhile, heals it, and checks that the outbox went out exactly once and in order and that
the customer's message arrived. Short deadlines and backoffs come from the engine's and client's parameters.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time

import pytest

from console.background_sync import BackgroundSync
from local_cache.backend_client import BadPayload
from local_cache.reference_client import ReferenceApiClient
from local_cache.store import LocalStore
from local_cache.sync_engine import ServerMismatch, SyncEngine
from tests.fault_proxy import FaultProxy
from tests.reference_backend import AGENT_TOKEN, ReferenceBackend

API = "/api/v1"
ENDPOINTS = {
    "/me": lambda method, path: method == "GET" and path.split("?")[0] == f"{API}/me",
    "/chats": lambda method, path: method == "GET" and path.split("?")[0] == f"{API}/chats",
    "/chats/{id}/messages": lambda method, path: method == "GET"
    and re.fullmatch(f"{API}/chats/[^/]+/messages", path.split("?")[0]) is not None,
    "/events": lambda method, path: method == "GET" and path.split("?")[0] == f"{API}/events",
    "/batch": lambda method, path: method == "POST" and path.split("?")[0] == f"{API}/batch",
}
# As the status line names them (the chat id stands in for {id}).
SHOWN_AS = {"/me": "GET /me", "/chats": "GET /chats:", "/chats/{id}/messages": "/messages",
            "/events": "GET /events", "/batch": "POST /batch"}
# "truncated" cuts the JSON in a well-formed answer; "cut" closes the connection halfway through the body.
FAULTS = ["404", "410", "500", "garbage", "wrongtypes", "truncated", "cut", "stall"]


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    server = ReferenceBackend(tmp_path_factory.mktemp("matrix") / "backend.sqlite3").start()
    yield server
    server.stop()


@pytest.fixture
def proxy(backend):
    faulty = FaultProxy(backend.url).start()
    yield faulty
    faulty.stop()


def engine_via(proxy, path, statuses: list) -> SyncEngine:
    return SyncEngine(
        lambda: LocalStore(path),
        lambda: ReferenceApiClient(proxy.url, AGENT_TOKEN, deadline=1.0, silence_limit=1.0),
        on_status=statuses.append,
        long_poll_wait=0.3,  # under the silence limit: the proxy relays a heartbeat answer only once it is whole
        retry_cap=0.3,
    )


def wait_for(condition, what, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")
        time.sleep(0.02)


def texts(store: LocalStore, chat_id: str) -> list[str]:
    return [entry.text for entry in store.chats.transcript(chat_id)]


def texts_in(path, chat_id: str) -> list[str]:
    store = LocalStore(path)
    try:
        return texts(store, chat_id)
    finally:
        store.close()


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_the_engine_survives_a_broken_endpoint_and_catches_up_once_it_heals(tmp_path, backend, proxy, endpoint,
                                                                           fault):
    chat_id = backend.open_chat(f"客户 {endpoint} {fault}")
    backend.customer_says(chat_id, "before")
    path = tmp_path / "agent.sqlite3"
    store = LocalStore(path)  # a fresh profile: the engine meets every endpoint (snapshot, feed, outbox)
    # An internal note among the replies: the same queue, the same exactly-once.
    keys = [store.outbox.enqueue_message(chat_id, f"reply {n}", private=n == 1).idempotency_key for n in range(3)]
    statuses, crashes = [], []
    proxy.fail(fault, ENDPOINTS[endpoint])
    sync = BackgroundSync(engine_via(proxy, path, statuses), on_crash=crashes.append)
    sync.start()
    try:
        wait_for(lambda: proxy.faulted(fault) >= 1, "the engine to meet the fault")
        keys.append(store.outbox.enqueue_message(chat_id, "typed meanwhile").idempotency_key)
        sync.wake()
        # Asked again: it survived the first. (On /batch a body fault comes after the server applied the items,
        # and the feed may settle them before a retry: the reply typed meanwhile meets the fault again.)
        wait_for(lambda: proxy.faulted(fault) >= 2, "the engine to meet the fault twice")
        backend.customer_says(chat_id, "meanwhile")
        wait_for(lambda: any(s.online is False and SHOWN_AS[endpoint] in s.detail for s in statuses),
                 "the status to say what is wrong")
        proxy.heal()
        wait_for(lambda: store.outbox.depth() == 0 and "meanwhile" in texts(store, chat_id),
                 lambda: f"catching up; last status {statuses[-1]}, outbox {store.outbox.items()}")
        wait_for(lambda: statuses[-1].online and not statuses[-1].degraded,
                 lambda: f"the status to read online; it reads {statuses[-1]}")
        assert not sync._task.done(), "the engine is still running"
        sync.wake()  # the console calling in still reaches a live engine
    finally:
        sync.stop()
    assert crashes == [] and sync.error is None
    server = backend.messages(chat_id)
    assert [m["client_key"] for m in server if m["author"] == "agent"] == keys, "each reply once, in order"
    assert [m["private"] for m in server if m["author"] == "agent"] == [False, True, False, False]
    assert texts(store, chat_id) == [m["text"] for m in server], "the whole chat, once, in the server's order"
    assert {item.state for item in store.outbox.items()} == {"sent"}
    store.close()


# --- the rare paths of the pull: cursor expired, another server, a hole in the feed ---------------------------


def test_a_410_on_the_feed_takes_a_fresh_snapshot_and_loses_nothing(tmp_path, backend, proxy):
    chat_id = backend.open_chat("林小雨")
    path = tmp_path / "agent.sqlite3"
    asyncio.run(engine_via(proxy, path, []).sync_once())
    backend.customer_says(chat_id, "written while our cursor expired")
    proxy.plan("410", matches=ENDPOINTS["/events"])  # the reference server never expires cursors: the proxy does

    report = asyncio.run(engine_via(proxy, path, []).sync_once())

    seen = [(method, path.split("?")[0], fault) for method, path, fault in proxy.requests_seen]
    expired_at = seen.index(("GET", f"{API}/events", "410"))
    assert ("GET", f"{API}/chats", "pass") in seen[expired_at:], "a snapshot after the 410"
    assert report.pulled_messages == 1
    store = LocalStore(path)
    assert texts(store, chat_id) == ["written while our cursor expired"]
    store.close()


def test_a_profile_of_another_server_with_unsent_items_is_never_pushed_there(tmp_path, backend, proxy):
    chat_id = backend.open_chat("周海峰")
    path = tmp_path / "agent.sqlite3"
    asyncio.run(engine_via(proxy, path, []).sync_once())
    store = LocalStore(path)
    store.outbox.enqueue_message(chat_id, "for the first server only")
    other = ReferenceBackend(tmp_path / "other.sqlite3").start()
    try:
        other_chat = other.open_chat("someone else")
        other_proxy = FaultProxy(other.url).start()
        statuses = []
        sync = BackgroundSync(engine_via(other_proxy, path, statuses))
        sync.start()
        try:
            wait_for(lambda: any("belongs to server" in s.degraded for s in statuses), "the mismatch reported")
            time.sleep(0.5)  # a few retries
            assert not sync._task.done()
            assert statuses[-1].online is False and "--data-dir" in statuses[-1].detail
        finally:
            sync.stop()
        with pytest.raises(ServerMismatch):
            asyncio.run(engine_via(other_proxy, path, []).sync_once())
        other_proxy.stop()
        assert other.messages(other_chat) == [] and all(m[1] != f"{API}/batch" for m in other_proxy.requests_seen)
    finally:
        other.stop()
    assert store.outbox.depth() == 1, "kept for the server it was written for"
    assert texts(store, chat_id) == ["for the first server only"]
    store.close()


def test_a_profile_of_another_server_with_an_empty_outbox_starts_afresh(tmp_path, backend, proxy):
    old_chat = backend.open_chat("old server's customer")
    path = tmp_path / "agent.sqlite3"
    asyncio.run(engine_via(proxy, path, []).sync_once())
    other = ReferenceBackend(tmp_path / "other.sqlite3").start()
    try:
        new_chat = other.open_chat("new server's customer")
        other.customer_says(new_chat, "你好")
        other_proxy = FaultProxy(other.url).start()
        asyncio.run(engine_via(other_proxy, path, []).sync_once())
        other_proxy.stop()
    finally:
        other.stop()
    store = LocalStore(path)
    assert [chat.id for chat in store.chats.summaries()] == [new_chat] and not store.chats.exists(old_chat)
    assert texts(store, new_chat) == ["你好"]
    store.close()


def test_a_hole_in_the_feed_is_filled_from_the_chat_before_it_is_applied(tmp_path, backend, proxy):
    chat_id = backend.open_chat("赵先生")
    backend.customer_says(chat_id, "one")
    path = tmp_path / "agent.sqlite3"
    asyncio.run(engine_via(proxy, path, []).sync_once())
    backend.customer_says(chat_id, "two")
    backend.customer_says(chat_id, "three")
    # A feed that lost an event: move our cursor past the one that brought "two" (the real server keeps all).
    store = LocalStore(path)
    cursor = store.chats.feed_cursor()
    store.close()
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE meta SET value=? WHERE key='feed_cursor'", (str(cursor + 1),))

    asyncio.run(engine_via(proxy, path, []).sync_once())

    store = LocalStore(path)
    assert texts(store, chat_id) == ["one", "two", "three"]
    store.close()
    assert any(path_.startswith(f"{API}/chats/{chat_id}/messages?after=1") for _, path_, _ in proxy.requests_seen)


def test_a_bad_payload_names_the_endpoint_and_the_field(tmp_path, backend, proxy):
    backend.open_chat("陈静")
    proxy.fail("wrongtypes", ENDPOINTS["/chats"])

    async def snapshot():
        client = ReferenceApiClient(proxy.url, AGENT_TOKEN)
        try:
            await client.snapshot()
        finally:
            await client.aclose()

    with pytest.raises(BadPayload) as error:
        asyncio.run(snapshot())
    assert str(error.value).startswith("GET /chats: answer does not fit the API: ")
    assert re.search(r"(chats\[0\]\.\w+|cursor): expected \w+, got \w+", str(error.value)), str(error.value)


def test_a_snapshot_taken_after_our_own_reply_landed_still_fetches_the_customers_earlier_messages(
    tmp_path, backend, proxy
):
    # Found by the matrix: the outbox pushed while the first snapshot was still being read; the reply's answer
    # (seq 3) was stored first, and the snapshot then asked only for messages after seq 3.
    chat_id = backend.open_chat("王建国")
    backend.customer_says(chat_id, "one")
    backend.customer_says(chat_id, "two")
    path = tmp_path / "agent.sqlite3"
    store = LocalStore(path)
    store.outbox.enqueue_message(chat_id, "reply")

    async def push_before_any_pull():
        engine = engine_via(proxy, path, [])
        async with engine.session():
            assert engine.hold_push_lock() and await engine.push_once() == 1

    asyncio.run(push_before_any_pull())
    asyncio.run(engine_via(proxy, path, []).sync_once())

    assert texts(store, chat_id) == ["one", "two", "reply"]
    store.close()


# --- `agent-console sync` meets a backend that answers wrongly ----------------------------------------------


@pytest.mark.parametrize("once", [True, False], ids=["once", "long-running"])
@pytest.mark.parametrize("fault", ["404", "garbage", "wrongtypes"])
def test_sync_against_a_wrong_answer_from_me_is_one_line_and_a_failure(tmp_path, proxy, fault, once):
    import subprocess
    import sys

    from tests.package_under_test import OUTSIDE_TREE, package_env

    proxy.fail(fault, ENDPOINTS["/me"])
    result = subprocess.run(
        [sys.executable, "-m", "cli", "sync", *(["--once"] if once else []), "--backend", proxy.url,
         "--token", AGENT_TOKEN, "--data-dir", str(tmp_path / "data"), "--config", str(tmp_path / "absent.toml")],
        capture_output=True, text=True, cwd=OUTSIDE_TREE, env=package_env(), timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert [line for line in lines if line.startswith("error: ")] == lines[-1:], result.stderr
    assert "Traceback" not in result.stderr and "GET /me" in lines[-1]


# --- `serve` says it is listening only when it is -------------------------------------------------------------


def test_serve_accepts_30_immediate_connections_once_it_prints_its_readiness_line(tmp_path):
    import socket
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    from backend.server import READY_PREFIX
    from tests.package_under_test import OUTSIDE_TREE, package_env

    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", "0", "--db", str(tmp_path / "backend.sqlite3"),
         "--token", AGENT_TOKEN], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=OUTSIDE_TREE,
        env=package_env(),
    )
    try:
        line = server.stdout.readline()
        assert line.startswith(READY_PREFIX), server.stderr.read() if server.poll() is not None else line
        host, port = line[len(READY_PREFIX):].strip().removeprefix("http://").rsplit(":", 1)

        def health(_) -> str:
            with socket.create_connection((host, int(port)), timeout=10) as connection:
                connection.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
                answer = b""
                while chunk := connection.recv(4096):
                    answer += chunk
            return answer.split(b"\r\n", 1)[0].decode()

        with ThreadPoolExecutor(30) as pool:
            answers = list(pool.map(health, range(30)))
    finally:
        server.kill()
        server.wait()
    assert answers == ["HTTP/1.1 200 OK"] * 30


# --- the console over an engine that meets a fault, and over one that has stopped ----------------------------


async def test_the_console_keeps_listening_and_sending_through_a_404_on_the_feed(tmp_path, backend, proxy):
    # The report: one 404 on GET /events stopped sync for good, the status kept saying online, and the next
    # Enter crashed the console with "Event loop is closed".
    from console.app import AgentConsoleApp
    from tests.pilot_helpers import type_text, wait_until

    chat_id = backend.open_chat("陈静")
    backend.customer_says(chat_id, "在吗")
    app = AgentConsoleApp(tmp_path / "agent.sqlite3",
                          lambda: ReferenceApiClient(proxy.url, AGENT_TOKEN, deadline=2.0, silence_limit=1.0),
                          long_poll_wait=0.5)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.desk.sync_status and app.desk.sync_status.online
                         and chat_id in app.desk.chats,
                         "online")
        app.desk.show_chat(chat_id)
        proxy.fail("404", ENDPOINTS["/events"])
        await wait_until(pilot, lambda: app.desk.sync_status.online is False, "the status bar to stop saying online")
        status = str(app.desk.query_one("#status-bar").render())
        assert "sync degraded since" in status and "GET /events" in status, status  # not a network outage
        backend.customer_says(chat_id, "written while the feed answered 404")
        await type_text(pilot, "您好，在的")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.store.outbox.depth() == 0, "the reply to go out")
        proxy.heal()
        await wait_until(pilot, lambda: app.desk.sync_status.online, "online again")
        await wait_until(pilot, lambda: "written while the feed answered 404" in texts(app.store, chat_id),
                         "the message written meanwhile")
    assert [m["text"] for m in backend.messages(chat_id) if m["author"] == "agent"] == ["您好，在的"]


def test_calling_an_engine_whose_loop_has_ended_is_harmless(tmp_path, backend, proxy):
    statuses = []
    engine = engine_via(proxy, tmp_path / "agent.sqlite3", statuses)
    sync = BackgroundSync(engine)
    sync.start()
    wait_for(lambda: statuses and statuses[-1].online, "online")
    sync.stop()  # the console quitting: the engine's loop is closed now
    engine.wake()
    engine.replace_token("a new token")
    sync.wake()


def test_a_store_that_cannot_be_written_for_a_while_degrades_sync_and_does_not_end_it(tmp_path, backend, proxy):
    chat_id = backend.open_chat("林小雨")
    path = tmp_path / "agent.sqlite3"
    statuses, crashes = [], []

    def impatient_store() -> LocalStore:
        store = LocalStore(path)
        store.conn.execute("PRAGMA busy_timeout=100")  # give up on a held lock at once instead of after 10 s
        return store

    engine = SyncEngine(impatient_store,
                        lambda: ReferenceApiClient(proxy.url, AGENT_TOKEN, deadline=1.0, silence_limit=1.0),
                        on_status=statuses.append, long_poll_wait=0.3, retry_cap=0.3)
    sync = BackgroundSync(engine, on_crash=crashes.append)
    sync.start()
    try:
        wait_for(lambda: statuses and statuses[-1].online, "online")
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another process holds the file
        try:
            backend.customer_says(chat_id, "arrives while the store is locked")
            wait_for(lambda: any("local store" in s.degraded for s in statuses), "the store problem reported")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        store = LocalStore(path)
        wait_for(lambda: "arrives while the store is locked" in texts(store, chat_id), "the message after all")
        wait_for(lambda: statuses[-1].online and not statuses[-1].degraded, "online again")
        assert not sync._task.done()
    finally:
        sync.stop()
    assert crashes == []
    store.close()


def test_an_answer_over_the_size_cap_is_refused_without_reading_it_all(backend):
    chat_id = backend.open_chat("赵先生")
    for n in range(5):
        backend.customer_says(chat_id, f"{n} " + "长" * 1000)

    async def read_messages(cap: int):
        client = ReferenceApiClient(backend.url, AGENT_TOKEN, max_answer_bytes=cap)
        try:
            return await client.messages_after(chat_id, 0)
        finally:
            await client.aclose()

    assert len(asyncio.run(read_messages(64 * 1024))) == 5
    with pytest.raises(BadPayload, match=r"^GET /chats/\S+/messages: answer does not fit the API: larger than 4,096"):
        asyncio.run(read_messages(4096))


def test_a_store_that_cannot_be_opened_yet_is_retried_not_the_end(tmp_path, backend, proxy):
    chat_id = backend.open_chat("周海峰")
    backend.customer_says(chat_id, "hello")
    path = tmp_path / "agent.sqlite3"
    path.mkdir()  # something else sits where the store goes: SQLite cannot open it
    statuses, crashes = [], []
    sync = BackgroundSync(engine_via(proxy, path, statuses), on_crash=crashes.append)
    sync.start()
    try:
        wait_for(lambda: any("cannot open the local store" in s.degraded for s in statuses), "the problem reported")
        assert statuses[-1].online is False
        path.rmdir()
        wait_for(lambda: path.is_file() and "hello" in texts_in(path, chat_id), "the store opened after all")
        wait_for(lambda: statuses[-1].online and not statuses[-1].degraded, "online")
    finally:
        sync.stop()
    assert crashes == []


def test_half_a_surrogate_pair_in_one_message_arrives_replaced_instead_of_stopping_the_feed():
    from local_cache import payloads

    answer = (b'{"messages": [{"id": "m_1", "chat_id": "ch_1", "seq": 1, "author": "customer", '
              b'"text": "broken \\ud800 pair, whole \\ud83d\\ude00", "created_at": 1.5}], "has_more": false}')
    [message] = payloads.fit(answer, payloads.MessagesAnswer).messages
    assert message.text == "broken \ufffd pair, whole \U0001f600"
    with pytest.raises(payloads.Misfit, match=r"^messages\[0\]\.seq: expected int"):
        payloads.fit(answer.replace(b'"seq": 1', b'"seq": "1"'), payloads.MessagesAnswer)


async def test_if_the_engine_ever_stopped_the_status_bar_would_stop_saying_online(tmp_path, backend, proxy):
    # The engine catches everything now; this is the console's last line of defence if a bug still ended it.
    from console.app import AgentConsoleApp, SyncCrashed
    from tests.pilot_helpers import wait_until

    app = AgentConsoleApp(tmp_path / "agent.sqlite3", lambda: ReferenceApiClient(proxy.url, AGENT_TOKEN),
                          long_poll_wait=0.5)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.desk.sync_status and app.desk.sync_status.online, "online")
        app.post_message(SyncCrashed(RuntimeError("a bug")))
        await wait_until(pilot, lambda: app.desk.sync_status.online is False, "the status to stop saying online")
        assert "offline since" in str(app.desk.query_one("#status-bar").render())
