"""Exactly once, in order, never stuck: the sync engine against the real backend behind a faulty network."""

from __future__ import annotations

import asyncio
import time

from console.background_sync import BackgroundSync
from local_cache.reference_client import ReferenceApiClient
from local_cache.store import LocalStore
from local_cache.sync_engine import SyncEngine


def engine_via(proxy, path, deadline: float = 15.0, **options) -> SyncEngine:
    return SyncEngine(
        lambda: LocalStore(path),
        lambda: ReferenceApiClient(proxy.url, "test-agent-token", deadline=deadline),
        **options,
    )


def agent_texts(backend, chat_id) -> list[str]:
    return [m["text"] for m in backend.messages(chat_id) if m["author"] == "agent"]


def prepared_store(tmp_path, backend, proxy, chats: int = 1):
    chat_ids = [backend.open_chat(f"客户{n}") for n in range(chats)]
    path = tmp_path / "agent.sqlite3"
    asyncio.run(engine_via(proxy, path).sync_once())
    return path, chat_ids


def test_reset_after_the_server_applied_it_is_not_a_duplicate(tmp_path, reference_backend, fault_proxy):
    path, [chat_id] = prepared_store(tmp_path, reference_backend, fault_proxy)
    store = LocalStore(path)
    for n in range(3):
        store.outbox.enqueue_message(chat_id, f"第{n}条", private=n == 1)  # an internal note goes the same way
    fault_proxy.plan("reset", "reset")

    report = asyncio.run(engine_via(fault_proxy, path).sync_once())

    assert report.waiting == 0
    assert agent_texts(reference_backend, chat_id) == ["第0条", "第1条", "第2条"]
    assert [m["private"] for m in reference_backend.messages(chat_id)] == [False, True, False]
    assert [f for _, _, f in fault_proxy.requests_seen if f != "pass"] == ["reset", "reset"]
    assert {i.state for i in store.outbox.items()} == {"sent"}
    store.close()


def test_a_stalled_answer_trips_the_overall_deadline_and_the_retry_is_not_a_duplicate(
    tmp_path, reference_backend, fault_proxy
):
    path, [chat_id] = prepared_store(tmp_path, reference_backend, fault_proxy)
    store = LocalStore(path)
    store.outbox.enqueue_message(chat_id, "请稍等", private=True)  # a note: replayed, not applied twice
    fault_proxy.plan("stall")

    report = asyncio.run(engine_via(fault_proxy, path, deadline=1.0).sync_once())

    assert report.waiting == 0
    assert agent_texts(reference_backend, chat_id) == ["请稍等"]
    [item] = store.outbox.items()
    assert (item.state, item.attempts) == ("sent", 2), "one stalled attempt, one replayed"
    assert [m["private"] for m in reference_backend.messages(chat_id)] == [True]
    assert [f for _, _, f in fault_proxy.requests_seen if f != "pass"] == ["stall"]
    store.close()


def test_a_burst_of_503s_is_retried_with_the_same_keys(tmp_path, reference_backend, fault_proxy):
    path, [chat_id] = prepared_store(tmp_path, reference_backend, fault_proxy)
    store = LocalStore(path)
    keys = [store.outbox.enqueue_message(chat_id, f"msg {n}").idempotency_key for n in range(4)]
    fault_proxy.plan("503", "503", "503")

    report = asyncio.run(engine_via(fault_proxy, path).sync_once())

    assert report.waiting == 0
    assert agent_texts(reference_backend, chat_id) == ["msg 0", "msg 1", "msg 2", "msg 3"]
    assert [m["client_key"] for m in reference_backend.messages(chat_id)] == keys
    assert store.outbox.items()[0].attempts == 4
    store.close()


def test_429_retry_after_is_honoured(tmp_path, reference_backend, fault_proxy):
    path, [chat_id] = prepared_store(tmp_path, reference_backend, fault_proxy)
    store = LocalStore(path)
    store.outbox.enqueue_message(chat_id, "稍后再发")
    fault_proxy.plan("429:2")

    async def one_attempt():
        engine = engine_via(fault_proxy, path)
        engine.store, engine.client = LocalStore(path), ReferenceApiClient(fault_proxy.url, "test-agent-token")
        try:
            await engine.push_once()
        except Exception as error:  # the 429 surfaces as BackendUnavailable
            return error
        finally:
            await engine.client.aclose()
            engine.store.close()

    refused_at = time.time()
    error = asyncio.run(one_attempt())
    assert type(error).__name__ == "BackendUnavailable" and error.retry_after == 2
    [item] = store.outbox.items()
    next_attempt = store.conn.execute("SELECT next_attempt_at FROM outbox").fetchone()[0]
    assert item.state == "queued" and next_attempt >= refused_at + 2, "not before Retry-After"
    assert "429" in item.last_error

    assert asyncio.run(engine_via(fault_proxy, path).sync_once()).waiting == 0
    assert agent_texts(reference_backend, chat_id) == ["稍后再发"]
    store.close()


def test_a_rejected_item_does_not_hold_up_the_ones_behind_it(tmp_path, reference_backend, fault_proxy):
    path, [chat_id] = prepared_store(tmp_path, reference_backend, fault_proxy)
    store = LocalStore(path)
    store.outbox.enqueue_message(chat_id, "before")
    store.outbox.enqueue_message("ch_gone", "to a chat the server does not have")  # a real 404 from the real server
    store.outbox.enqueue_message(chat_id, "after")

    report = asyncio.run(engine_via(fault_proxy, path).sync_once())

    assert (report.sent, report.rejected, report.waiting) == (2, 1, 0)
    assert agent_texts(reference_backend, chat_id) == ["before", "after"]
    rejected = [i for i in store.outbox.items() if i.state == "rejected"]
    assert len(rejected) == 1 and "404" in rejected[0].last_error
    store.close()


def test_the_outbox_drains_by_itself_when_the_backend_returns(tmp_path, reference_backend, fault_proxy):
    path, chat_ids = prepared_store(tmp_path, reference_backend, fault_proxy, chats=2)
    statuses = []
    sync = BackgroundSync(engine_via(fault_proxy, path, long_poll_wait=1.0, on_status=statuses.append))
    sync.start()
    try:
        wait_for(lambda: statuses and statuses[-1].online)
        fault_proxy.refuse()
        wait_for(lambda: statuses[-1].online is False)
        store = LocalStore(path)
        for n in range(6):
            store.outbox.enqueue_message(chat_ids[n % 2], f"offline {n}")
            sync.wake()
        reference_backend.customer_says(chat_ids[0], "are you there?")  # arrives while we are cut off
        assert store.outbox.depth() == 6

        fault_proxy.restore()
        wait_for(lambda: store.outbox.depth() == 0, timeout=30)
        wait_for(lambda: "are you there?" in [e.text for e in store.chats.transcript(chat_ids[0])], timeout=30)
    finally:
        sync.stop()
    assert agent_texts(reference_backend, chat_ids[0]) == ["offline 0", "offline 2", "offline 4"]
    assert agent_texts(reference_backend, chat_ids[1]) == ["offline 1", "offline 3", "offline 5"]
    texts = [e.text for e in store.chats.transcript(chat_ids[0])]
    assert len(texts) == len(set(texts)) == 4, "caught up with no gap and no duplicate"
    store.close()


def wait_for(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)
