"""Internal notes in the reference backend: `"private": true` on an agent message. Agents see it; the chat's
state, the customer's wait and everything on the customer's side do not."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from backend.change_feed import ChangeNotifier
from backend.simulator import CustomerSimulator
from backend.store import BackendStore
from tests.reference_backend import CHANNEL_TOKEN
from tests.unit.test_simulator import SCRIPT, customer_lines, wait_for


def post(agent, chat_id, body, key):
    return agent.post(f"/chats/{chat_id}/messages", json=body, headers={"Idempotency-Key": key})


def customer_view(backend, chat_id) -> list[dict]:
    response = httpx.get(f"{backend.url}/api/v1/channel/chats/{chat_id}/messages",
                         headers={"Authorization": f"Bearer {CHANNEL_TOKEN}"}, timeout=10)
    response.raise_for_status()
    return response.json()["messages"]


def test_a_note_is_stored_private_and_every_message_says_whether_it_is(reference_backend, agent):
    chat_id = reference_backend.open_chat("陈静")
    reference_backend.customer_says(chat_id, "杯子碎了")
    note = post(agent, chat_id, {"text": "客户第二次来问，先查物流", "private": True}, "note-1")
    assert note.status_code == 201 and note.json()["message"]["private"] is True
    reply = post(agent, chat_id, {"text": "您好", "private": False}, "reply-1")
    assert reply.json()["message"]["private"] is False
    assert [(m["author"], m["private"]) for m in reference_backend.messages(chat_id)] == [
        ("customer", False), ("agent", True), ("agent", False)]
    events = agent.get("/events", params={"after": 0}).json()["events"]
    assert [e["message"]["private"] for e in events if e["type"] == "message.created"] == [False, True, False]


@pytest.mark.parametrize("private", ["true", 1, None, [], {}])
def test_private_that_is_not_a_boolean_is_refused_naming_the_field(reference_backend, agent, private):
    chat_id = reference_backend.open_chat("陈静")
    refused = post(agent, chat_id, {"text": "备注", "private": private}, f"bad-{private!r}")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_private"
    assert "private" in refused.json()["error"]["message"]
    batch = agent.post("/batch", json={"items": [{"idempotency_key": "bad-batch", "type": "message",
                                                  "chat_id": chat_id, "body": {"text": "备注", "private": private}}]})
    assert batch.json()["results"][0]["status"] == 422
    assert batch.json()["results"][0]["body"]["error"]["code"] == "invalid_private"
    assert reference_backend.messages(chat_id) == []


def test_a_note_changes_no_state_and_answers_nobody(reference_backend, agent):
    chat_id = reference_backend.open_chat("陈静")
    reference_backend.customer_says(chat_id, "在吗")
    post(agent, chat_id, {"text": "先别回，等仓库确认", "private": True}, "note-state")
    assert reference_backend.chat(chat_id)["state"] == "opened", "a note is not the first answer"
    post(agent, chat_id, {"text": "在的", "private": False}, "reply-state")
    assert reference_backend.chat(chat_id)["state"] == "in_progress"
    agent.post(f"/chats/{chat_id}/actions", json={"type": "close"}, headers={"Idempotency-Key": "close-state"})
    post(agent, chat_id, {"text": "已退款，关单", "private": True}, "note-closed")
    assert reference_backend.chat(chat_id)["state"] == "closed", "a note in a closed chat reopens nothing"


def test_the_key_covers_private_and_false_is_the_default_spelled_out(reference_backend, agent):
    chat_id = reference_backend.open_chat("陈静")
    assert post(agent, chat_id, {"text": "内部备注", "private": True}, "flip").status_code == 201
    flipped = post(agent, chat_id, {"text": "内部备注", "private": False}, "flip")
    assert flipped.status_code == 422 and flipped.json()["error"]["code"] == "idempotency_key_reused"
    assert post(agent, chat_id, {"text": "内部备注"}, "flip").status_code == 422, "absent is false, not true"
    assert post(agent, chat_id, {"text": "您好"}, "plain").status_code == 201
    replay = post(agent, chat_id, {"text": "您好", "private": False}, "plain")
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    batch_replay = agent.post("/batch", json={"items": [{"idempotency_key": "flip", "type": "message",
                                                         "chat_id": chat_id,
                                                         "body": {"text": "内部备注", "private": True}}]})
    assert batch_replay.json()["results"][0]["replayed"] is True
    assert [m["text"] for m in reference_backend.messages(chat_id)] == ["内部备注", "您好"]


def test_the_channel_side_never_lists_a_note(reference_backend, agent):
    chat_id = reference_backend.open_chat("陈静")
    reference_backend.customer_says(chat_id, "杯子碎了")
    post(agent, chat_id, {"text": "客户手机 13812345678 已核实", "private": True}, "note-channel")
    post(agent, chat_id, {"text": "马上为您处理"}, "reply-channel")
    assert [m["text"] for m in customer_view(reference_backend, chat_id)] == ["杯子碎了", "马上为您处理"]


def test_a_transfer_line_says_what_it_records_and_the_customer_never_sees_its_note(reference_backend, agent):
    chat_id = reference_backend.open_chat("陈静")
    reference_backend.customer_says(chat_id, "杯子碎了")
    answer = agent.post(f"/chats/{chat_id}/actions", json={"type": "transfer", "to": " refund-team ",
                                                           "note": "客户很生气，先退款"},
                        headers={"Idempotency-Key": "transfer-note"}).json()
    assert answer["message"]["transfer"] == {"to": "refund-team", "note": "客户很生气，先退款"}
    line, said = reference_backend.messages(chat_id)[-1], reference_backend.messages(chat_id)[0]
    assert line["author"] == "system" and line["transfer"] == answer["message"]["transfer"]
    assert said["transfer"] is None, "only a transfer's line records one"
    assert [m["text"] for m in customer_view(reference_backend, chat_id)] == ["杯子碎了"], \
        "the line carries the internal note: not for the customer"


def test_the_simulated_customer_neither_sees_nor_answers_a_note(tmp_path):
    async def scenario() -> None:
        store = BackendStore(tmp_path / "b.sqlite3")
        notifier = ChangeNotifier()
        simulator = CustomerSimulator(store, notifier, [SCRIPT], chats=1, pace=0.002, seed=1)
        task = asyncio.create_task(simulator.run())
        await wait_for(lambda: store.chats()
                       and customer_lines(store, store.chats()[0]["id"]) == ["杯子碎了", "我要退款"])
        chat_id = store.chats()[0]["id"]
        store.add_message(chat_id, "agent", "退款 — 要不要先问仓库？", private=True)  # "退款" would make it react
        notifier.notify("message.created", chat_id, "agent")
        await wait_for(lambda: "还在吗？" in customer_lines(store, chat_id))
        assert customer_lines(store, chat_id) == ["杯子碎了", "我要退款", "还在吗？"], "still waiting: no answer yet"
        store.add_message(chat_id, "agent", "非常抱歉，马上为您办理退款")
        notifier.notify("message.created", chat_id, "agent")
        await wait_for(lambda: "多久到账？" in customer_lines(store, chat_id))
        task.cancel()
        store.close()

    asyncio.run(scenario())
