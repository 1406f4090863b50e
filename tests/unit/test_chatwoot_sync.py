"""The sync engine through the Chatwoot adapter, against the fake Chatwoot (a real process on 127.0.0.1 whose
every exchange is checked against Chatwoot's published OpenAPI spec), behind the fault proxy where a fault is
the point: exactly once, in order, nothing lost from the feed."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from local_cache.backend_client import AuthenticationRejected, BackendUnavailable
from local_cache.chatwoot_address import chatwoot_account
from local_cache.chatwoot_client import ChatwootClient
from local_cache.store import LocalStore
from local_cache.sync_engine import SyncEngine
from tests.engine_thread import RunningEngine
from tests.fake_chatwoot.control import FakeChatwoot
from tests.fault_proxy import FaultProxy


@pytest.fixture
def chatwoot():
    with FakeChatwoot(validator="tests.fake_chatwoot.contract_check") as fake:
        yield fake
        assert fake.contract_violations() == [], "every exchange fits Chatwoot's published API"


@pytest.fixture
def proxy(chatwoot):
    proxy = FaultProxy(chatwoot.url).start()
    yield proxy
    proxy.stop()


def engine(url: str, token: str, path, deadline: float = 15.0) -> SyncEngine:
    account = chatwoot_account(f"chatwoot+{url}/1")
    return SyncEngine(lambda: LocalStore(path),
                      lambda: ChatwootClient(account, token, deadline=deadline, poll_interval=0.1), retry_cap=0.3)


def agent_texts(chatwoot, conversation) -> list[str]:
    return [m["content"] for m in chatwoot.messages(conversation) if m["message_type"] == 1 and not m["private"]]


def test_chats_messages_and_sends_go_both_ways(chatwoot, tmp_path):
    contact = chatwoot.add_contact("陈静", phone_number="+8613812345678", email="chen.jing@example.com")
    mine = chatwoot.add_conversation(contact, labels=("vip",))
    chatwoot.customer_says(mine, "快递到哪了？")
    elsewhere = chatwoot.add_conversation(chatwoot.add_contact("Other"), mine=False)
    path = tmp_path / "agent.sqlite3"

    asyncio.run(engine(chatwoot.url, chatwoot.token, path).sync_once())
    store = LocalStore(path)
    [chat] = store.chats.summaries()
    assert (chat.id, chat.customer_name, chat.tags, chat.vip) == (str(mine), "陈静", ("vip",), True)
    assert str(elsewhere) not in {c.id for c in store.chats.summaries()}, "only the agent's own conversations"
    profile = store.chats.customer_profile(str(mine))
    assert "13812345678" not in str(profile) and "chen.jing@" not in str(profile), "masked before it is stored"
    assert [e.text for e in store.chats.transcript(str(mine))] == ["快递到哪了？"]

    keys = [store.outbox.enqueue_message(str(mine), f"第{n}条").idempotency_key for n in range(3)]
    report = asyncio.run(engine(chatwoot.url, chatwoot.token, path).sync_once())
    assert (report.sent, report.waiting) == (3, 0)
    assert agent_texts(chatwoot, mine) == ["第0条", "第1条", "第2条"]
    sent = [e for e in store.chats.transcript(str(mine)) if e.author == "agent"]
    assert [(e.text, e.delivery) for e in sent] == [("第0条", "sent"), ("第1条", "sent"), ("第2条", "sent")]
    assert [store.conn.execute("SELECT client_key FROM messages WHERE text=?", (e.text,)).fetchone()[0]
            for e in sent] == keys, "each message keeps the outbox key Chatwoot could not keep"
    store.close()


@pytest.mark.parametrize("fault", ["reset", "stall", "503", "500", "422", "429:0", "refuse"])
def test_an_ambiguous_send_is_never_a_duplicate(chatwoot, proxy, tmp_path, fault):
    conversation = chatwoot.add_conversation(chatwoot.add_contact("王建国"))
    path = tmp_path / "agent.sqlite3"
    asyncio.run(engine(proxy.url, chatwoot.token, path).sync_once())
    store = LocalStore(path)
    # The same text three times on purpose: a note and two messages, each sent once; a note's lookup never takes
    # a message of the same text for its own, nor the other way.
    for text, private in (("您好", False), ("好的", True), ("好的", False), ("好的", False)):
        store.outbox.enqueue_message(str(conversation), text, private=private)
    if fault == "refuse":  # Chatwoot out of reach: nothing goes, nothing is lost
        proxy.refuse()
        with pytest.raises(BackendUnavailable):
            asyncio.run(engine(proxy.url, chatwoot.token, path, deadline=1.0).sync_once())
        assert store.outbox.depth() == 4
        proxy.restore()
    else:
        proxy.plan(fault, matches=lambda method, target: method == "POST" and "/messages" in target)

    report = asyncio.run(engine(proxy.url, chatwoot.token, path, deadline=1.0).sync_once())

    assert report.waiting == 0 and report.rejected == 0
    assert agent_texts(chatwoot, conversation) == ["您好", "好的", "好的"]
    assert [m["content"] for m in chatwoot.messages(conversation) if m["private"]] == ["好的"]
    assert {item.state for item in store.outbox.items()} == {"sent"}
    store.close()


def test_a_422_after_the_message_was_stored_is_settled_by_finding_it(chatwoot, tmp_path):
    conversation = chatwoot.add_conversation(chatwoot.add_contact("Emily"))
    path = tmp_path / "agent.sqlite3"
    asyncio.run(engine(chatwoot.url, chatwoot.token, path).sync_once())
    store = LocalStore(path)
    store.outbox.enqueue_message(str(conversation), "Your refund is on its way")
    chatwoot.fail_next_sends(1, stored=True)  # committed, then a callback failed: Chatwoot answers 422

    assert asyncio.run(engine(chatwoot.url, chatwoot.token, path).sync_once()).waiting == 0
    assert agent_texts(chatwoot, conversation) == ["Your refund is on its way"]
    store.close()


def test_the_flood_limit_holds_the_rest_back_in_order_until_it_lifts(chatwoot, tmp_path):
    conversation = chatwoot.add_conversation(chatwoot.add_contact("Flood"))
    path = tmp_path / "agent.sqlite3"
    asyncio.run(engine(chatwoot.url, chatwoot.token, path).sync_once())
    store = LocalStore(path)
    for n in range(4):
        store.outbox.enqueue_message(str(conversation), f"m{n}")
    with store.conn:  # as after a long outage: however many tries an item has had, a flood never rejects it
        store.conn.execute("UPDATE outbox SET attempts = 50")
    chatwoot.set_flood_limit(2)

    first = asyncio.run(engine(chatwoot.url, chatwoot.token, path).sync_once(drain_for=1.0))
    assert (first.sent, first.waiting, first.rejected) == (2, 2, 0), "held, not rejected"
    chatwoot.advance_clock(61)
    assert asyncio.run(engine(chatwoot.url, chatwoot.token, path).sync_once()).waiting == 0
    assert agent_texts(chatwoot, conversation) == ["m0", "m1", "m2", "m3"]
    store.close()


def test_a_customer_message_older_than_our_own_is_still_pulled(chatwoot, tmp_path):
    """Our message, stored from its delivery answer, has a higher id than a customer's that arrived just
    before it and that the feed has not brought yet: the feed must not start after our id."""
    conversation = chatwoot.add_conversation(chatwoot.add_contact("陈静"))
    path = tmp_path / "agent.sqlite3"
    asyncio.run(engine(chatwoot.url, chatwoot.token, path).sync_once())
    chatwoot.customer_says(conversation, "在吗？")  # after the last pull
    store = LocalStore(path)
    store.outbox.enqueue_message(str(conversation), "在的")
    pusher = engine(chatwoot.url, chatwoot.token, path)

    async def push_only():
        async with pusher.session():
            assert pusher.hold_push_lock()
            assert await pusher.push_once() == 1

    asyncio.run(push_only())
    assert [e.text for e in store.chats.transcript(str(conversation))] == ["在的"]
    asyncio.run(engine(chatwoot.url, chatwoot.token, path).sync_once())
    assert [e.text for e in store.chats.transcript(str(conversation))] == ["在吗？", "在的"]
    store.close()


def test_chat_actions_reach_chatwoot(chatwoot, tmp_path):
    conversation = chatwoot.add_conversation(chatwoot.add_contact("Tagged"))
    path = tmp_path / "agent.sqlite3"
    asyncio.run(engine(chatwoot.url, chatwoot.token, path).sync_once())
    store = LocalStore(path)
    chat = str(conversation)
    store.outbox.enqueue_action(chat, {"type": "tag", "tags": ["refund", "vip"]})
    store.outbox.enqueue_action(chat, {"type": "priority", "priority": "urgent"})
    store.outbox.enqueue_action(chat, {"type": "transfer", "to": "Billing", "note": "wants a callback"})
    store.outbox.enqueue_action(chat, {"type": "transfer", "to": "nobody-here", "note": ""})
    store.outbox.enqueue_action(chat, {"type": "close"})

    report = asyncio.run(engine(chatwoot.url, chatwoot.token, path).sync_once())

    state = chatwoot.conversation(conversation)
    assert (state["labels"], state["priority"], state["team_id"], state["status"]) == (
        ["refund", "vip"], "urgent", 1, "resolved")
    notes = [m["content"] for m in chatwoot.messages(conversation) if m["private"]]
    assert notes == ["Transfer to Billing: wants a callback"], "the transfer note is an internal note"
    assert report.rejected == 1
    [refused] = [item for item in store.outbox.items() if item.state == "rejected"]
    assert "nobody-here" in refused.last_error
    assert store.chats.summaries([chat])[0].state == "closed"
    store.close()


def test_a_bad_token_stops_sync_and_a_refused_conversation_rejects_only_its_item(chatwoot, tmp_path):
    allowed = chatwoot.add_conversation(chatwoot.add_contact("Allowed"))
    refused = chatwoot.add_conversation(chatwoot.add_contact("Refused"))
    path = tmp_path / "agent.sqlite3"
    with pytest.raises(AuthenticationRejected):
        asyncio.run(engine(chatwoot.url, "wrong-token", path).sync_once())
    asyncio.run(engine(chatwoot.url, chatwoot.token, path).sync_once())
    store = LocalStore(path)
    store.outbox.enqueue_message(str(refused), "not mine to answer")
    store.outbox.enqueue_message(str(allowed), "answered")
    chatwoot.refuse(refused, "messages.create")

    report = asyncio.run(engine(chatwoot.url, chatwoot.token, path).sync_once())

    assert (report.sent, report.rejected) == (1, 1)
    assert agent_texts(chatwoot, allowed) == ["answered"] and agent_texts(chatwoot, refused) == []

    # A conversation this agent may no longer read does not stop the feed of the others.
    chatwoot.refuse(refused, "messages.index")
    chatwoot.customer_says(refused, "unreadable now")
    chatwoot.customer_says(allowed, "still here")
    asyncio.run(engine(chatwoot.url, chatwoot.token, path).sync_once())
    assert "still here" in [e.text for e in store.chats.transcript(str(allowed))]
    store.close()


def wait_until(predicate, what: str, timeout: float = 15.0) -> float:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
    return time.monotonic() - start


def test_the_running_engine_follows_what_happens_in_chatwoot(chatwoot, tmp_path):
    first = chatwoot.add_conversation(chatwoot.add_contact("陈静"))
    path = tmp_path / "agent.sqlite3"
    running = SyncEngine(lambda: LocalStore(path),
                         lambda: ChatwootClient(chatwoot_account(chatwoot.console_url), chatwoot.token,
                                                poll_interval=0.2),
                         long_poll_wait=2.0, retry_cap=0.3)
    store = LocalStore(path)
    with RunningEngine(running):
        wait_until(lambda: store.chats.exists(str(first)), "the first snapshot")
        chatwoot.customer_says(first, "还在吗？")
        took = wait_until(lambda: [e.text for e in store.chats.transcript(str(first))] == ["还在吗？"],
                          "the customer's message")
        print(f"a customer message reached the store {took:.2f} s after Chatwoot had it")
        store.outbox.enqueue_message(str(first), "在的")
        running.wake()
        wait_until(lambda: [m["content"] for m in chatwoot.messages(first) if m["message_type"] == 1] == ["在的"],
                   "the reply in Chatwoot")
        # Another agent, in Chatwoot's web app, resolves the chat; a new conversation is assigned to us.
        httpx.post(f"{chatwoot.api}/conversations/{first}/toggle_status", json={"status": "resolved"},
                   headers={"api_access_token": chatwoot.token}).raise_for_status()
        second = chatwoot.add_conversation(chatwoot.add_contact("Emily"))
        chatwoot.customer_says(second, "Hello?")
        wait_until(lambda: store.chats.summaries([str(first)])[0].state == "closed", "the chat closed")
        wait_until(lambda: [e.text for e in store.chats.transcript(str(second))] == ["Hello?"], "the new chat")
    texts = [e.text for e in store.chats.transcript(str(first)) if e.author != "system"]
    assert texts == ["还在吗？", "在的"], "nothing twice, nothing missing"
    store.close()


def test_the_websocket_rings_for_early_polls_and_a_dropped_socket_loses_nothing(chatwoot, tmp_path):
    # Polls only when the bell rings: the waiting pull and the quiet interval both last a minute, so a message
    # that arrives within the test's seconds came through the websocket's event or its reconnect.
    chat = chatwoot.add_conversation(chatwoot.add_contact("陈静"))
    path = tmp_path / "agent.sqlite3"
    running = SyncEngine(lambda: LocalStore(path),
                         lambda: ChatwootClient(chatwoot_account(chatwoot.console_url), chatwoot.token,
                                                poll_interval=60.0, quiet_poll_interval=60.0),
                         long_poll_wait=60.0, retry_cap=0.3)
    store = LocalStore(path)

    def customer_texts():
        return [e.text for e in store.chats.transcript(str(chat)) if e.author == "customer"]

    with RunningEngine(running):
        wait_until(lambda: store.chats.exists(str(chat)), "the first snapshot")
        wait_until(lambda: running.client.cable is not None and running.client.cable.connected, "the websocket")
        chatwoot.customer_says(chat, "一")
        took = wait_until(lambda: customer_texts() == ["一"], "the message the event rang for")
        print(f"with the websocket up, a message reached the store in {took:.2f} s")
        assert chatwoot.drop_cable() == 1
        for text in ("二", "三", "四"):  # while the socket is down: Chatwoot replays none of these events
            chatwoot.customer_says(chat, text)
        wait_until(lambda: customer_texts() == ["一", "二", "三", "四"], "what the dropped socket missed")
        wait_until(lambda: running.client.cable.connected, "the websocket back")
        chatwoot.customer_says(chat, "五")
        wait_until(lambda: customer_texts() == ["一", "二", "三", "四", "五"], "the next event")
    store.close()
