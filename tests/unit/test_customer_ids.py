"""Customer ids (customer.id): a returning customer's chats share one, through the reference API, the local store
(one migration) and the Chatwoot adapter (the contact's id); the simulator's returning customers; previous chats."""

from __future__ import annotations

import asyncio
import sqlite3

import httpx
import pytest

from backend.change_feed import ChangeNotifier
from backend.simulator import CustomerSimulator, load_scenarios
from backend.store import BackendStore
from local_cache.chatwoot_address import chatwoot_account
from local_cache.chatwoot_client import ChatwootClient
from local_cache.database import MIGRATIONS
from local_cache.models import RemoteChat, RemoteMessage
from local_cache.reference_client import ReferenceApiClient
from local_cache.store import LocalStore
from local_cache.sync_engine import SyncEngine
from tests.fake_chatwoot.control import FakeChatwoot


def test_the_channel_links_a_returning_customer_and_the_client_reads_the_id(reference_backend, tmp_path):
    first = reference_backend.open_chat("陈静", "web", id="shop-user-42")
    again = reference_backend.open_chat("陈静", "web", id="shop-user-42")
    stranger = reference_backend.open_chat("陈静", "web")
    assert reference_backend.chat(first)["customer"]["id"] == "shop-user-42"
    assert reference_backend.chat(again)["customer"]["id"] == "shop-user-42"
    made_up = reference_backend.chat(stranger)["customer"]["id"]
    assert made_up.startswith("cu_") and made_up != "shop-user-42", "no id given: a new customer"

    snapshot = asyncio.run(fetch_snapshot(reference_backend))
    by_id = {chat.id: chat for chat in snapshot.chats}
    assert by_id[first].customer_id == by_id[again].customer_id == "shop-user-42"
    assert "id" not in by_id[first].profile, "the id is not profile data"


async def fetch_snapshot(backend):
    client = ReferenceApiClient(backend.url, backend.token)
    try:
        return await client.snapshot()
    finally:
        await client.aclose()


@pytest.mark.parametrize("bad", [7, "x" * 101, ["a"]])
def test_a_bad_customer_id_is_a_422(reference_backend, bad):
    response = httpx.post(f"{reference_backend.url}/api/v1/channel/chats", timeout=10,
                          json={"customer": {"name": "陈静", "id": bad}},
                          headers={"Authorization": "Bearer test-channel-token"})
    assert response.status_code == 422


def chat(chat_id: str, customer_id: str, created_at: float, state: str = "closed") -> RemoteChat:
    return RemoteChat(id=chat_id, customer_name="陈静", customer_title="", vip=False, channel="web", state=state,
                      priority="normal", created_at=created_at, updated_at=created_at, customer_id=customer_id)


def test_the_store_keeps_the_id_and_lists_previous_chats_newest_first(tmp_path):
    store = LocalStore(tmp_path / "agent.sqlite3")
    chats = [chat(f"ch_{n}", "cu_1", 1000.0 + n) for n in range(8)] + [chat("ch_now", "cu_1", 2000.0, "opened"),
                                                                        chat("ch_other", "cu_2", 1500.0)]
    messages = [RemoteMessage(f"m_{n}", f"ch_{n}", 1, "customer", f"第 {n} 次  \n 退款", 1000.0 + n) for n in range(7)]
    store.chats.apply_changes(chats, messages)
    [now] = store.chats.summaries(["ch_now"])
    assert now.customer_id == "cu_1"
    found = store.chats.previous_chats("cu_1", "ch_now", limit=5)
    assert [c.id for c in found.chats] == ["ch_7", "ch_6", "ch_5", "ch_4", "ch_3"] and found.total == 8
    assert found.chats[0].messages == 0, "never pulled: the caller says so"
    assert found.chats[1].last_message_preview == "第 6 次 退款"
    assert store.chats.previous_chats("", "ch_x", 5).chats == (), "no id: no previous chats"


def test_a_store_from_before_customer_ids_is_upgraded(tmp_path):
    path = tmp_path / "agent.sqlite3"
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:-1]:
        conn.executescript(script)
    conn.execute(f"PRAGMA user_version={len(MIGRATIONS) - 1}")
    conn.execute("INSERT INTO chats (id, customer_name, channel, state, priority, created_at, updated_at)"
                 " VALUES ('ch_old', '王', 'web', 'closed', 'normal', 1, 1)")
    conn.commit()
    conn.close()
    store = LocalStore(path)
    [old] = store.chats.summaries()
    assert old.customer_id == "" and store.chats.previous_chats("", "ch_x", 5).total == 0


def test_chatwoot_contacts_become_customer_ids(tmp_path):
    with FakeChatwoot(validator="tests.fake_chatwoot.contract_check") as fake:
        contact = fake.add_contact("陈静")
        first = fake.add_conversation(contact, status="resolved", ago=86_400)
        second = fake.add_conversation(contact)
        other = fake.add_conversation(fake.add_contact("Emily"))
        for conversation in (first, second, other):
            fake.customer_says(conversation, "hello")
        account = chatwoot_account(f"chatwoot+{fake.url}/1")
        path = tmp_path / "agent.sqlite3"
        engine = SyncEngine(lambda: LocalStore(path), lambda: ChatwootClient(account, fake.token, poll_interval=0.1))
        asyncio.run(engine.sync_once())
        assert fake.contract_violations() == []
    store = LocalStore(path)
    ids = {chat.id: chat.customer_id for chat in store.chats.summaries()}
    assert ids[str(first)] == ids[str(second)] == str(contact) != ids[str(other)]
    assert [c.id for c in store.chats.previous_chats(ids[str(second)], str(second), 5).chats] == [str(first)]


def test_returning_simulated_customers_arrive_with_closed_chats_days_back(tmp_path):
    async def run() -> BackendStore:
        store = BackendStore(tmp_path / "backend.sqlite3")
        simulator = CustomerSimulator(store, ChangeNotifier(), load_scenarios(), chats=6, pace=0.0005, seed=3)
        task = asyncio.create_task(simulator.run())
        try:
            async with asyncio.timeout(20):
                while sum(chat["state"] != "closed" for chat in store.chats()) < 6:
                    await asyncio.sleep(0.01)
        finally:
            task.cancel()
        return store

    store = asyncio.run(run())
    chats = store.chats()
    playing = [chat for chat in chats if chat["state"] != "closed"]
    earlier = [chat for chat in chats if chat["state"] == "closed"]
    assert len(earlier) >= 5
    returning = {chat["customer"]["id"] for chat in playing} & {chat["customer"]["id"] for chat in earlier}
    assert len(returning) == 4, "complaint, refund, vip-merchant and english-shopper come back"
    now = store.clock()
    for chat in earlier:
        messages = store.messages_after(chat["id"], 0, 100)
        assert len(messages) >= 3 and now - chat["created_at"] > 2 * 86_400
        assert chat["updated_at"] < now - 86_400, "closed back then, not now"
    store.close()
