"""The sync engine between a real SQLite file and a real reference backend process."""

from __future__ import annotations

import asyncio

import pytest

from local_cache.backend_client import AuthenticationRejected, BackendUnavailable
from local_cache.reference_client import ReferenceApiClient
from local_cache.store import LocalStore
from local_cache.sync_engine import SyncEngine, backoff_delay


def engine_for(path, backend, token=None) -> SyncEngine:
    return SyncEngine(lambda: LocalStore(path), lambda: ReferenceApiClient(backend.url, token or backend.token))


def test_sync_once_pulls_chats_and_pushes_the_outbox(tmp_path, reference_backend):
    chat_id = reference_backend.open_chat("陈静", "web")
    reference_backend.customer_says(chat_id, "杯子碎了，我要退款")
    path = tmp_path / "agent.sqlite3"

    report = asyncio.run(engine_for(path, reference_backend).sync_once())
    assert (report.pulled_messages, report.sent) == (1, 0)

    store = LocalStore(path)
    store.outbox.enqueue_message(chat_id, "非常抱歉，马上为您处理退款")
    report = asyncio.run(engine_for(path, reference_backend).sync_once())
    assert (report.sent, report.rejected, report.waiting) == (1, 0, 0)
    assert [(e.author, e.delivery) for e in store.chats.transcript(chat_id)] == [("customer", None), ("agent", "sent")]
    store.close()
    assert [m["text"] for m in reference_backend.messages(chat_id)] == [
        "杯子碎了，我要退款", "非常抱歉，马上为您处理退款"
    ]


def test_a_send_whose_answer_was_lost_is_not_duplicated(tmp_path, reference_backend):
    chat_id = reference_backend.open_chat("王建国")
    path = tmp_path / "agent.sqlite3"
    asyncio.run(engine_for(path, reference_backend).sync_once())
    store = LocalStore(path)
    item = store.outbox.enqueue_message(chat_id, "已为您催促快递")
    store.outbox.mark_sending([item])  # the process died here, after the server applied the request

    async def first_attempt_reached_the_server():
        client = ReferenceApiClient(reference_backend.url, reference_backend.token)
        await client.deliver([item])
        await client.aclose()

    asyncio.run(first_attempt_reached_the_server())
    report = asyncio.run(engine_for(path, reference_backend).sync_once())
    # The pull brings the message back with our key, which settles the row: nothing is sent again.
    assert (report.sent, report.waiting) == (0, 0)
    assert [m["text"] for m in reference_backend.messages(chat_id)] == ["已为您催促快递"]
    assert [e.text for e in store.chats.transcript(chat_id)] == ["已为您催促快递"]
    store.close()


def test_messages_stay_queued_while_the_backend_is_down(tmp_path, reference_backend):
    chat_id = reference_backend.open_chat("赵先生")
    path = tmp_path / "agent.sqlite3"
    asyncio.run(engine_for(path, reference_backend).sync_once())
    store = LocalStore(path)
    store.outbox.enqueue_message(chat_id, "第一条")
    store.outbox.enqueue_message(chat_id, "第二条")
    reference_backend.stop()

    with pytest.raises(BackendUnavailable, match="Connect"):
        asyncio.run(engine_for(path, reference_backend).sync_once())
    assert store.outbox.depth() == 2
    assert [e.delivery for e in store.chats.transcript(chat_id)] == ["sending", "sending"]
    store.close()


def test_wrong_token_is_reported_without_revealing_it(tmp_path, reference_backend):
    path = tmp_path / "agent.sqlite3"
    secret = "not-the-token-s3cr3t"
    with pytest.raises(AuthenticationRejected) as error:
        asyncio.run(engine_for(path, reference_backend, token=secret).sync_once())
    assert "401" in str(error.value) and secret not in str(error.value)


def test_backoff_has_full_jitter_a_cap_and_honours_retry_after():
    assert backoff_delay(1, rng=lambda: 1.0) == 0.5
    assert backoff_delay(3, rng=lambda: 1.0) == 2.0
    assert backoff_delay(50, rng=lambda: 1.0) == 30.0
    assert backoff_delay(50, rng=lambda: 0.0) == 0.0
    assert backoff_delay(1, retry_after=7, rng=lambda: 0.5) == 7


def test_retry_after_in_seconds_or_as_an_http_date():
    from datetime import datetime, timedelta, timezone
    from email.utils import format_datetime

    import httpx

    from local_cache.reference_client import retry_after_seconds

    def answer(value):
        return httpx.Response(429, headers={"Retry-After": value} if value is not None else {})

    assert retry_after_seconds(answer("7")) == 7
    in_a_minute = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=60), usegmt=True)
    assert 55 < retry_after_seconds(answer(in_a_minute)) <= 60
    assert retry_after_seconds(answer("soon")) is None and retry_after_seconds(answer(None)) is None


def test_chat_actions_go_through_the_outbox_and_show_at_once(tmp_path, reference_backend):
    chat_id = reference_backend.open_chat("赵先生", "weibo")
    path = tmp_path / "agent.sqlite3"
    asyncio.run(engine_for(path, reference_backend).sync_once())
    store = LocalStore(path)
    store.outbox.enqueue_action(chat_id, {"type": "priority", "priority": "urgent"})
    store.outbox.enqueue_action(chat_id, {"type": "close"})
    [summary] = store.chats.summaries()
    assert (summary.state, summary.priority) == ("closed", "urgent"), "shown before the server knows"

    report = asyncio.run(engine_for(path, reference_backend).sync_once())
    assert (report.sent, report.waiting) == (2, 0)
    [server_chat] = [c for c in reference_backend_chats(reference_backend) if c["id"] == chat_id]
    assert (server_chat["state"], server_chat["priority"]) == ("closed", "urgent")
    store.close()


def test_a_rejected_action_gives_back_the_servers_state(tmp_path, reference_backend):
    chat_id = reference_backend.open_chat("林小雨", "app")
    path = tmp_path / "agent.sqlite3"
    asyncio.run(engine_for(path, reference_backend).sync_once())
    store = LocalStore(path)
    store.outbox.enqueue_action(chat_id, {"type": "transfer", "to": ""})  # the server refuses: no target
    assert store.chats.summaries()[0].state == "transferred"

    report = asyncio.run(engine_for(path, reference_backend).sync_once())
    assert report.rejected == 1
    assert store.chats.summaries()[0].state == "opened", "the optimistic effect is undone"
    store.close()


def reference_backend_chats(backend) -> list[dict]:
    import httpx

    response = httpx.get(f"{backend.url}/api/v1/chats", headers={"Authorization": f"Bearer {backend.token}"})
    return response.json()["chats"]


def test_closing_with_a_resolution_tag_keeps_when_the_chat_was_opened(tmp_path, reference_backend):
    # f7 queues the resolution tag, then the close. The server's answer to the tag says "opened" while the close is
    # still on its way: that is not the customer reopening the chat, so the handling time still counts from the
    # chat's start (a hostile pass saw the day's average handling time read 0 s).
    chat_id = reference_backend.open_chat("陈静", "web")
    reference_backend.customer_says(chat_id, "杯子碎了")
    path = tmp_path / "agent.sqlite3"
    asyncio.run(engine_for(path, reference_backend).sync_once())
    store = LocalStore(path)
    opened = store.chats.summaries([chat_id])[0].opened_at
    store.outbox.enqueue_action(chat_id, {"type": "tag", "tags": ["resolved"]})
    store.outbox.enqueue_action(chat_id, {"type": "close"})
    assert store.chats.summaries([chat_id])[0].state == "closed"
    report = asyncio.run(engine_for(path, reference_backend).sync_once())
    assert report.sent == 2
    summary = store.chats.summaries([chat_id])[0]
    assert (summary.state, summary.opened_at) == ("closed", opened)
    store.close()


def test_long_messages_are_delivered_in_requests_under_the_body_limit_with_no_wait(tmp_path, reference_backend):
    """Ten 4,990-character Chinese messages (~15 KB each) make a body far over the API's 64 KiB: the client
    splits them into requests under it, so one push settles every one, in order, none refused."""
    chat_id = reference_backend.open_chat("陈静", "web")
    path = tmp_path / "agent.sqlite3"
    asyncio.run(engine_for(path, reference_backend).sync_once())
    store = LocalStore(path)
    texts = [f"{number}" + "退款已经为您处理" * 623 + "。" for number in range(10)]
    for text in texts:
        store.outbox.enqueue_message(chat_id, text)

    async def one_push() -> int:
        engine = engine_for(path, reference_backend)
        async with engine.session():
            return await engine.push_once()

    assert asyncio.run(one_push()) == 10
    assert [m["text"] for m in reference_backend.messages(chat_id)] == texts
    assert [entry.delivery for entry in store.chats.transcript(chat_id)] == ["sent"] * 10
    store.close()


def test_batches_stay_under_the_byte_limit_and_keep_the_order():
    from local_cache.models import OutboxItem
    from local_cache.reference_client import batch_body, batches_within, item_json

    items = [OutboxItem(number, f"key{number}", "chat", "message", {"text": "字" * size}, "queued", 0, None, 0.0)
             for number, size in enumerate([10, 5_000, 5_000, 5_000, 5_000, 30_000, 5, 5])]
    batches = batches_within(items, 60 * 1024)
    assert [item for batch in batches for item in batch] == items
    assert [len(batch) for batch in batches] == [5, 1, 2]  # the 30,000-character one (90 KB) goes alone
    assert all(len(batch_body([item_json(item) for item in batch])) <= 60 * 1024
               for batch in batches if len(batch) > 1)
