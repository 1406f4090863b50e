"""The reference backend over real HTTP: auth, idempotency, the change feed."""

from __future__ import annotations

import threading

import httpx

from tests.reference_backend import AGENT_TOKEN


def post_message(agent, chat_id, text, key):
    return agent.post(f"/chats/{chat_id}/messages", json={"text": text}, headers={"Idempotency-Key": key})


def test_missing_or_wrong_token_is_401(reference_backend):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": AGENT_TOKEN}):
        response = httpx.get(f"{reference_backend.url}/api/v1/chats", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"


def test_replay_returns_the_original_result_and_applies_once(reference_backend, agent):
    chat_id = reference_backend.open_chat("陈静")
    first = post_message(agent, chat_id, "您好", "key-1")
    replay = post_message(agent, chat_id, "您好", "key-1")
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert [m["text"] for m in reference_backend.messages(chat_id)] == ["您好"]
    assert first.json()["message"]["client_key"] == "key-1"


def test_same_key_with_a_different_body_is_422(reference_backend, agent):
    chat_id = reference_backend.open_chat("陈静")
    assert post_message(agent, chat_id, "您好", "key-2").status_code == 201
    clash = post_message(agent, chat_id, "别的内容", "key-2")
    assert clash.status_code == 422
    assert clash.json()["error"]["code"] == "idempotency_key_reused"
    assert len(reference_backend.messages(chat_id)) == 1


def test_posts_without_key_or_with_bad_text_are_refused(reference_backend, agent):
    chat_id = reference_backend.open_chat("陈静")
    assert agent.post(f"/chats/{chat_id}/messages", json={"text": "hi"}).status_code == 400
    assert post_message(agent, chat_id, "", "k-empty").status_code == 422
    assert post_message(agent, chat_id, "x" * 5001, "k-long").status_code == 422
    assert post_message(agent, "ch_missing", "hi", "k-404").status_code == 404
    garbage = agent.post(f"/chats/{chat_id}/messages", content=b"\xff{", headers={"Idempotency-Key": "k-bad"})
    assert garbage.status_code == 400
    assert reference_backend.messages(chat_id) == []


def test_actions_are_idempotent_too(reference_backend, agent):
    chat_id = reference_backend.open_chat("赵先生")
    body = {"type": "priority", "priority": "urgent"}
    first = agent.post(f"/chats/{chat_id}/actions", json=body, headers={"Idempotency-Key": "a-1"})
    assert first.status_code == 200 and first.json()["chat"]["priority"] == "urgent"
    assert agent.post(f"/chats/{chat_id}/actions", json=body, headers={"Idempotency-Key": "a-1"}).json() == first.json()
    bad = agent.post(f"/chats/{chat_id}/actions", json={"type": "explode"}, headers={"Idempotency-Key": "a-2"})
    assert bad.status_code == 422


def test_long_poll_wakes_on_a_customer_message(reference_backend, agent):
    chat_id = reference_backend.open_chat("Emily Carter", "web")
    cursor = agent.get("/chats").json()["cursor"]
    result = {}

    def poll():
        result["body"] = agent.get("/events", params={"after": cursor, "wait": 25}, timeout=30).json()

    poller = threading.Thread(target=poll)
    poller.start()
    reference_backend.customer_says(chat_id, "Do you ship to Canada?")
    poller.join(30)
    events = result["body"]["events"]
    assert [e["type"] for e in events] == ["message.created"]
    assert events[0]["message"]["text"] == "Do you ship to Canada?"
    assert result["body"]["cursor"] == events[0]["cursor"] > cursor


def test_messages_after_a_cursor_page_in_order(reference_backend, agent):
    chat_id = reference_backend.open_chat("王建国")
    for n in range(5):
        reference_backend.customer_says(chat_id, f"第{n}条")
    page = agent.get(f"/chats/{chat_id}/messages", params={"after": 1, "limit": 2}).json()
    assert [m["seq"] for m in page["messages"]] == [2, 3] and page["has_more"]
    rest = agent.get(f"/chats/{chat_id}/messages", params={"after": 3}).json()
    assert [m["text"] for m in rest["messages"]] == ["第3条", "第4条"] and not rest["has_more"]


def test_a_customer_writing_into_a_closed_chat_reopens_it(reference_backend, agent):
    chat_id = reference_backend.open_chat("林小雨")
    agent.post(f"/chats/{chat_id}/actions", json={"type": "close"}, headers={"Idempotency-Key": "c-1"})
    assert agent.get("/chats").json()["chats"][0]["state"] == "closed"
    reference_backend.customer_says(chat_id, "还有个问题")
    assert agent.get("/chats").json()["chats"][0]["state"] == "opened"


def test_a_transfer_leaves_a_system_line_with_its_note_in_the_chat(reference_backend, agent):
    chat_id = reference_backend.open_chat("陈静")
    body = {"type": "transfer", "to": "refund-team", "note": "customer wants a callback"}
    first = agent.post(f"/chats/{chat_id}/actions", json=body, headers={"Idempotency-Key": "t-1"})
    assert first.status_code == 200
    line = first.json()["message"]
    assert (line["author"], line["text"], line["client_key"]) == (
        "system", "Transferred to refund-team: customer wants a callback", "t-1")
    assert first.json()["chat"]["state"] == "transferred" and first.json()["chat"]["last_seq"] == line["seq"]
    replay = agent.post(f"/chats/{chat_id}/actions", json=body, headers={"Idempotency-Key": "t-1"})
    assert replay.json() == first.json()
    batch = agent.post("/batch", json={"items": [{"idempotency_key": "t-2", "type": "action", "chat_id": chat_id,
                                                  "body": {"type": "transfer", "to": "safety-team", "note": ""}}]})
    assert batch.json()["results"][0]["body"]["message"]["text"] == "Transferred to safety-team"
    assert [(m["author"], m["text"]) for m in reference_backend.messages(chat_id)] == [
        ("system", "Transferred to refund-team: customer wants a callback"), ("system", "Transferred to safety-team")]
    events = agent.get("/events", params={"after": 0}).json()["events"]
    assert [e["message"]["text"] for e in events if e["type"] == "message.created"] == [
        "Transferred to refund-team: customer wants a callback", "Transferred to safety-team"]
    for bad_note in (42, "x" * 1001):
        refused = agent.post(f"/chats/{chat_id}/actions", json={"type": "transfer", "to": "x", "note": bad_note},
                             headers={"Idempotency-Key": f"t-bad-{len(str(bad_note))}"})
        assert refused.status_code == 422
    other = agent.post(f"/chats/{chat_id}/actions", json={"type": "close"}, headers={"Idempotency-Key": "c-9"})
    assert "message" not in other.json(), "only a transfer leaves a line"
