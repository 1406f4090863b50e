"""The fake Chatwoot behaves as Chatwoot's source says, over real HTTP (tests/fake_chatwoot/)."""

from __future__ import annotations

import httpx
import pytest

from tests.fake_chatwoot.control import FakeChatwoot


@pytest.fixture(scope="module")
def server():
    with FakeChatwoot(seed=7) as chatwoot:
        yield chatwoot


@pytest.fixture
def chatwoot():
    with FakeChatwoot(seed=3) as fresh:
        yield fresh


def agent(chatwoot: FakeChatwoot, token: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=chatwoot.api, headers={"api_access_token": token or chatwoot.token}, timeout=10)


def test_profile_names_the_agent_the_account_and_the_pubsub_token(server):
    with agent(server) as http:
        profile = http.get(f"{server.url}/api/v1/profile").json()
    assert profile["id"] == 1 and profile["pubsub_token"] and profile["available_name"] == profile["name"]
    assert profile["accounts"][0]["id"] == server.account_id and profile["accounts"][0]["role"] == "agent"


def test_conversations_come_25_a_page_until_an_empty_page(chatwoot):
    for _ in range(26):
        chatwoot.add_conversation()
    chatwoot.add_conversation(mine=False)
    with agent(chatwoot) as http:
        pages = [http.get("/conversations", params={"assignee_type": "me", "status": "all", "page": page,
                                                    "sort_by": "last_activity_at_desc"}).json()["data"]
                 for page in (1, 2, 3)]
    assert [len(page["payload"]) for page in pages] == [25, 1, 0]
    assert pages[0]["meta"] == {"mine_count": 26, "assigned_count": 26, "unassigned_count": 1, "all_count": 27}
    ids = [c["id"] for page in pages for c in page["payload"]]
    assert ids == list(range(26, 0, -1))  # newest activity first


def test_messages_latest_20_after_ascending_100_and_before(chatwoot):
    conversation = chatwoot.add_conversation()
    stored = [chatwoot.customer_says(conversation, f"m{i}")["id"] for i in range(130)]
    with agent(chatwoot) as http:
        path = f"/conversations/{conversation}/messages"
        latest = [m["id"] for m in http.get(path).json()["payload"]]
        after = [m["id"] for m in http.get(path, params={"after": stored[5]}).json()["payload"]]
        before = [m["id"] for m in http.get(path, params={"before": stored[50]}).json()["payload"]]
    assert latest == stored[-20:]
    assert after == stored[6:106]
    assert before == stored[30:50]


def test_message_ids_are_global_across_conversations_and_have_gaps(chatwoot):
    first, second = chatwoot.add_conversation(), chatwoot.add_conversation()
    ids = [chatwoot.customer_says(conversation, "hi")["id"] for _ in range(20) for conversation in (first, second)]
    assert ids == sorted(set(ids))
    assert any(b - a > 1 for a, b in zip(ids, ids[1:])), "a seeded run must skip some ids"
    with agent(chatwoot) as http:
        in_first = [m["id"] for m in http.get(f"/conversations/{first}/messages").json()["payload"]]
    assert in_first == ids[0::2]


def test_content_attributes_of_a_clients_own_are_dropped_and_echo_id_is_only_echoed(chatwoot):
    # MessageBuilder keeps items, in_reply_to and automation_rule_id of content_attributes, nothing else: a key
    # a client puts there to find its message again is gone (the adapter matches by sender, time and text).
    conversation = chatwoot.add_conversation()
    with agent(chatwoot) as http:
        sent = http.post(f"/conversations/{conversation}/messages", json={
            "content": "Your refund is on its way", "message_type": "outgoing", "private": False,
            "echo_id": "key-1", "content_attributes": {"outbox_key": "key-1", "in_reply_to": 7}})
        listed = http.get(f"/conversations/{conversation}/messages").json()["payload"]
    assert sent.status_code == 200
    assert sent.json()["echo_id"] == "key-1" and sent.json()["content_attributes"] == {"in_reply_to": 7}
    assert sent.json()["message_type"] == 1 and sent.json()["sender"]["type"] == "user"
    assert listed[-1]["content_attributes"] == {"in_reply_to": 7} and "echo_id" not in listed[-1]
    assert chatwoot.count_with_content(conversation, "Your refund is on its way") == 1


def test_sending_twice_stores_twice(chatwoot):
    conversation = chatwoot.add_conversation()
    with agent(chatwoot) as http:
        for _ in range(2):
            http.post(f"/conversations/{conversation}/messages", json={"content": "x"}).raise_for_status()
    assert chatwoot.count_with_content(conversation, "x") == 2


def test_the_flood_limit_is_a_422_per_conversation(chatwoot):
    flooded, other = chatwoot.add_conversation(), chatwoot.add_conversation()
    chatwoot.set_flood_limit(3)
    with agent(chatwoot) as http:
        statuses = [http.post(f"/conversations/{flooded}/messages", json={"content": str(i)}) for i in range(4)]
        elsewhere = http.post(f"/conversations/{other}/messages", json={"content": "fine"})
    assert [r.status_code for r in statuses] == [200, 200, 200, 422]
    assert statuses[-1].json() == {"error": "Validation failed: Too many messages"}
    assert elsewhere.status_code == 200
    chatwoot.advance_clock(61)
    with agent(chatwoot) as http:
        assert http.post(f"/conversations/{flooded}/messages", json={"content": "later"}).status_code == 200


def test_a_failed_send_can_still_have_been_stored(chatwoot):
    conversation = chatwoot.add_conversation()
    chatwoot.fail_next_sends(1, stored=True)
    chatwoot.fail_next_sends(1, stored=False)
    with agent(chatwoot) as http:
        answers = [http.post(f"/conversations/{conversation}/messages", json={"content": n}) for n in ("a", "b")]
    assert [a.status_code for a in answers] == [422, 422]
    assert chatwoot.count_with_content(conversation, "a") == 1
    assert chatwoot.count_with_content(conversation, "b") == 0


def test_a_bad_token_and_a_refusal_are_two_different_401s(chatwoot):
    allowed, refused = chatwoot.add_conversation(), chatwoot.add_conversation()
    chatwoot.refuse(refused)
    with agent(chatwoot, token="wrong") as http:
        bad_token = http.get("/conversations")
    with agent(chatwoot) as http:
        refusal = http.get(f"/conversations/{refused}/messages")
        fine = http.get(f"/conversations/{allowed}/messages")
        missing = http.get("/conversations/999")
    assert (bad_token.status_code, bad_token.json()) == (401, {"error": "Invalid Access Token"})
    assert (refusal.status_code, refusal.json()) == (401, {"error": "You are not authorized to do this action"})
    assert fine.status_code == 200
    assert (missing.status_code, missing.json()) == (404, {"error": "Resource could not be found"})


def test_over_the_request_budget_is_a_429_without_retry_after(chatwoot):
    chatwoot.set_rate_limit(3)
    with agent(chatwoot) as http:
        answers = [http.get("/conversations") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "retry-after" not in answers[-1].headers
    chatwoot.advance_clock(60)
    with agent(chatwoot) as http:
        assert http.get("/conversations").status_code == 200


def test_updated_within_reads_updated_at_while_a_message_moves_last_activity_at(chatwoot):
    quiet = chatwoot.add_conversation(ago=3600)
    touched = chatwoot.add_conversation(ago=3600)
    untouched = chatwoot.add_conversation(ago=3600)
    chatwoot.customer_says(touched, "still there?")
    chatwoot.set_message_touches_conversation(False)
    chatwoot.customer_says(untouched, "hello?")
    with agent(chatwoot) as http:
        recent = http.get("/conversations", params={"status": "all", "updated_within": 60}).json()["data"]["payload"]
        listed = http.get("/conversations", params={"status": "all"}).json()["data"]["payload"]
    assert [c["id"] for c in recent] == [touched]  # Chatwoot's `touch: true` moves updated_at too
    by_id = {c["id"]: c for c in listed}
    assert by_id[untouched]["last_activity_at"] > by_id[quiet]["last_activity_at"]
    assert by_id[untouched]["updated_at"] == pytest.approx(by_id[quiet]["updated_at"], abs=1)
    assert [c["id"] for c in listed][:2] in ([untouched, touched], [touched, untouched])


def test_actions_change_the_conversation_and_leave_activity_messages(chatwoot):
    contact = chatwoot.add_contact("Mei", email="mei@example.test", phone_number="+8613800138000")
    conversation = chatwoot.add_conversation(contact)
    with agent(chatwoot) as http:
        base = f"/conversations/{conversation}"
        resolved = http.post(f"{base}/toggle_status", json={"status": "resolved"}).json()
        assert http.post(f"{base}/toggle_priority", json={"priority": "urgent"}).status_code == 200
        assert http.post(f"{base}/toggle_priority", json={"priority": "none"}).status_code == 500
        team = http.post(f"{base}/assignments", json={"team_id": 2}).json()
        labels = http.post(f"{base}/labels", json={"labels": ["vip", "refund"]}).json()
        replaced = http.post(f"{base}/labels", json={"labels": ["refund"]}).json()
        shown = http.get(base).json()
        customer = http.get(f"/contacts/{contact}").json()["payload"]
        names = [t["name"] for t in http.get("/teams").json()], [a["name"] for a in http.get("/agents").json()]
        canned = http.get("/canned_responses").json()
        activity = [m for m in http.get(f"{base}/messages").json()["payload"] if m["message_type"] == 2]
    assert resolved["payload"]["current_status"] == "resolved"
    assert team["name"] == "technical" and labels == {"payload": ["vip", "refund"]}
    assert replaced == {"payload": ["refund"]} and shown["labels"] == ["refund"]
    assert shown["status"] == "resolved" and shown["priority"] == "urgent" and shown["meta"]["team"]["id"] == 2
    assert customer["phone_number"] == "+8613800138000" and customer["email"] == "mei@example.test"
    assert "technical" in names[0] and "Bo Billing" in names[1]
    assert canned[0]["short_code"] == "hello" and canned[0]["content"]
    assert any("resolved" in m["content"] for m in activity)


def test_the_control_side_adds_notes_activities_and_reads_everything(chatwoot):
    conversation = chatwoot.add_conversation(mine=False)
    chatwoot.add_private_note(conversation, "internal: call back tomorrow")
    chatwoot.add_activity(conversation, "Conversation was reopened by Bo Billing")
    chatwoot.skip_message_ids(500)
    last = chatwoot.customer_says(conversation, "any news?")
    kinds = [(m["message_type"], m["private"]) for m in chatwoot.messages(conversation)]
    assert kinds == [(1, True), (2, False), (0, False)]
    assert last["id"] > chatwoot.messages(conversation)[1]["id"] + 500
    assert [r["path"] for r in chatwoot.state()["requests"]] == []  # control calls are not agent requests


def test_the_fake_imports_nothing_of_the_product():
    import subprocess
    import sys

    from tests.package_under_test import PACKAGES, REPO_ROOT

    probe = ("import sys, tests.fake_chatwoot.app, tests.fake_chatwoot.__main__; "
             f"print(sorted(set({PACKAGES!r}) & {{name.split('.')[0] for name in sys.modules}}))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


async def test_actioncable_confirms_the_room_pushes_message_created_and_replays_nothing(chatwoot):
    import asyncio
    import json

    import websockets

    conversation = chatwoot.add_conversation()
    identifier = chatwoot.room_identifier()

    async def frames_until(socket, wanted):
        while True:
            frame = json.loads(await asyncio.wait_for(socket.recv(), 5))
            if frame.get("type") != "ping" and wanted(frame):
                return frame

    async with websockets.connect(chatwoot.cable_url, subprotocols=["actioncable-v1-json"]) as socket:
        assert json.loads(await socket.recv()) == {"type": "welcome"}
        await socket.send(json.dumps({"command": "subscribe", "identifier": identifier}))
        assert await frames_until(socket, lambda f: True) == {"identifier": identifier,
                                                              "type": "confirm_subscription"}
        await asyncio.to_thread(chatwoot.customer_says, conversation, "are you there?")
        pushed = await frames_until(socket, lambda f: "message" in f)
        assert pushed["identifier"] == identifier and pushed["message"]["event"] == "message.created"
        assert pushed["message"]["data"]["content"] == "are you there?"
        assert pushed["message"]["data"]["account_id"] == chatwoot.account_id
        assert await asyncio.to_thread(chatwoot.drop_cable) == 1
        with pytest.raises(websockets.ConnectionClosed):
            await frames_until(socket, lambda f: False)
    missed = await asyncio.to_thread(chatwoot.customer_says, conversation, "while you were away")
    async with websockets.connect(chatwoot.cable_url, subprotocols=["actioncable-v1-json"]) as socket:
        await socket.recv()
        await socket.send(json.dumps({"command": "subscribe", "identifier": identifier}))
        await frames_until(socket, lambda f: f.get("type") == "confirm_subscription")
        await asyncio.to_thread(chatwoot.customer_says, conversation, "hello again")
        pushed = await frames_until(socket, lambda f: "message" in f)
        assert pushed["message"]["data"]["content"] == "hello again"  # the missed one never comes
        assert pushed["message"]["data"]["id"] > missed["id"]


async def test_actioncable_rejects_a_wrong_pubsub_token(chatwoot):
    import json

    import websockets

    identifier = json.dumps({"channel": "RoomChannel", "pubsub_token": "nope", "account_id": 1, "user_id": 1})
    async with websockets.connect(chatwoot.cable_url) as socket:
        await socket.recv()
        await socket.send(json.dumps({"command": "subscribe", "identifier": identifier}))
        assert json.loads(await socket.recv()) == {"identifier": identifier, "type": "reject_subscription"}


# This module doubles as the validator the next test hands the fake: it sees every agent exchange.
def validate_request(exchange):
    if exchange.path.endswith("/labels") and exchange.method == "POST":
        raise ValueError("labels posted")


def validate_response(exchange):
    if exchange.status == 404:
        raise ValueError(f"answered {exchange.status}: {exchange.response_body!r}")


def test_every_agent_exchange_passes_the_configured_validator():
    with FakeChatwoot(validator="tests.unit.test_fake_chatwoot") as chatwoot:
        conversation = chatwoot.add_conversation()
        with agent(chatwoot) as http:
            http.get(f"/conversations/{conversation}/messages").raise_for_status()
            http.get("/conversations/404")
            http.post(f"/conversations/{conversation}/labels", json={"labels": ["a"]})
        violations = chatwoot.contract_violations()
    assert len(violations) == 2
    assert violations[0].startswith("response GET /api/v1/accounts/1/conversations/404: answered 404")
    assert violations[1].startswith("request POST /api/v1/accounts/1/conversations/1/labels: labels posted")
