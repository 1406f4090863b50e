"""Bad and oversized input to the reference backend gets the documented 4xx, never a 500 (docs/api.md, Limits).

All against the real server process over 127.0.0.1, with raw bodies where a JSON library would not produce them.
"""

from __future__ import annotations

import json

import httpx
import pytest

from backend.request_limits import FIELD_CAPS, MAX_BODY_BYTES, MAX_JSON_DEPTH, MAX_PAGE_BYTES
from tests.reference_backend import CHANNEL_TOKEN


@pytest.fixture
def channel(reference_backend):
    with httpx.Client(base_url=f"{reference_backend.url}/api/v1/channel", timeout=30,
                      headers={"Authorization": f"Bearer {CHANNEL_TOKEN}"}) as client:
        yield client


def error_of(response, status):
    assert response.status_code == status, (response.status_code, response.text[:300])
    return response.json()["error"]["code"]


def raw_post(client, path, body: bytes, key="k-raw"):
    return client.post(path, content=body, headers={"Content-Type": "application/json", "Idempotency-Key": key})


@pytest.mark.parametrize("path", ["/chats/{chat}/messages", "/events"])
@pytest.mark.parametrize("after", ["99999999999999999999", str(2**63), "1" * 5000, "-1", "1.5"])
def test_an_after_beyond_what_the_server_can_hold_is_400(reference_backend, agent, path, after):
    chat_id = reference_backend.open_chat("陈静")
    response = agent.get(path.format(chat=chat_id), params={"after": after})
    assert error_of(response, 400) == "bad_parameter"


def test_the_largest_after_is_answered(reference_backend, agent):
    chat_id = reference_backend.open_chat("陈静")
    assert agent.get(f"/chats/{chat_id}/messages", params={"after": str(2**63 - 1)}).json()["messages"] == []
    assert agent.get("/events", params={"after": str(2**63 - 1)}).json()["events"] == []


LONE_SURROGATE = b'{"text": "hi \\ud800 there"}'


def test_a_lone_surrogate_is_400_on_every_write(reference_backend, agent, channel):
    chat_id = reference_backend.open_chat("陈静")
    assert error_of(raw_post(agent, f"/chats/{chat_id}/messages", LONE_SURROGATE), 400) == "bad_json"
    assert error_of(raw_post(channel, f"/chats/{chat_id}/messages", LONE_SURROGATE), 400) == "bad_json"
    batch = b'{"items": [{"idempotency_key": "k1", "type": "message", "chat_id": "%s", "body": %s}]}' % (
        chat_id.encode(), LONE_SURROGATE)
    assert error_of(raw_post(agent, "/batch", batch), 400) == "bad_json"
    name = b'{"customer": {"name": "\\udfff"}}'
    assert error_of(raw_post(channel, "/chats", name), 400) == "bad_json"
    assert reference_backend.messages(chat_id) == []
    # A proper pair is one character, and is kept exactly.
    paired = raw_post(agent, f"/chats/{chat_id}/messages", b'{"text": "\\ud83d\\ude00"}', key="k-pair")
    assert paired.status_code == 201 and paired.json()["message"]["text"] == "\U0001F600"


@pytest.mark.parametrize("kind", [[], {}, ["message"], 1, None])
def test_a_batch_item_whose_type_is_not_a_string_is_refused_alone(reference_backend, agent, kind):
    chat_id = reference_backend.open_chat("陈静")
    items = [{"idempotency_key": "k-bad", "type": kind, "chat_id": chat_id, "body": {"text": "x"}},
             {"idempotency_key": "k-good", "type": "message", "chat_id": chat_id, "body": {"text": "您好"}}]
    response = agent.post("/batch", json={"items": items})
    assert response.status_code == 200, response.text[:300]
    results = response.json()["results"]
    assert [r["status"] for r in results] == [422, 201]
    assert results[0]["body"]["error"]["code"] == "invalid_type"
    assert [m["text"] for m in reference_backend.messages(chat_id)] == ["您好"]


def test_a_batch_item_whose_chat_id_is_not_a_string_is_refused_without_echoing_it(reference_backend, agent):
    item = {"idempotency_key": "k-chat", "type": "message", "chat_id": {"a": [1]}, "body": {"text": "x"}}
    result = agent.post("/batch", json={"items": [item]}).json()["results"][0]
    assert result["status"] == 422 and result["body"]["error"]["code"] == "invalid_chat_id"
    assert "{" not in result["body"]["error"]["message"]


@pytest.mark.parametrize("body", [
    {"type": []}, {"type": {}},
    {"type": "transfer", "to": []}, {"type": "transfer", "to": "t" * 101},
    {"type": "tag", "tags": [[]]}, {"type": "tag", "tags": ["t" * 51]}, {"type": "tag", "tags": ["t"] * 21},
    {"type": "priority", "priority": []},
])
def test_an_action_field_of_the_wrong_shape_or_size_is_422(reference_backend, agent, body):
    chat_id = reference_backend.open_chat("陈静")
    response = agent.post(f"/chats/{chat_id}/actions", json=body, headers={"Idempotency-Key": "k-action"})
    assert error_of(response, 422) == "invalid_action"


def test_deep_nesting_is_400_within_the_size_limit_and_413_beyond_it(reference_backend, agent):
    chat_id = reference_backend.open_chat("陈静")
    path = f"/chats/{chat_id}/messages"
    within = b'{"text": "x", "extra": ' + b"[" * 30000 + b"]" * 30000 + b"}"
    assert len(within) <= MAX_BODY_BYTES
    assert error_of(raw_post(agent, path, within), 400) == "bad_json"
    just_too_deep = {"text": "x", "extra": json.loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)}
    assert error_of(agent.post(path, json=just_too_deep, headers={"Idempotency-Key": "k-deep"}), 400) == "bad_json"
    hundred_thousand = b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert error_of(raw_post(agent, path, hundred_thousand), 413) == "too_large"
    assert error_of(raw_post(agent, "/batch", hundred_thousand), 413) == "too_large"
    assert reference_backend.messages(chat_id) == []


def test_the_body_limit_is_64_kib_as_documented(reference_backend, agent):
    chat_id = reference_backend.open_chat("陈静")
    path = f"/chats/{chat_id}/messages"

    def body_of(size):
        padding = size - len(b'{"text": "x", "pad": ""}')
        return b'{"text": "x", "pad": "' + b"p" * padding + b'"}'

    assert MAX_BODY_BYTES == 64 * 1024
    assert raw_post(agent, path, body_of(MAX_BODY_BYTES), key="k-fits").status_code == 201
    assert error_of(raw_post(agent, path, body_of(MAX_BODY_BYTES + 1), key="k-over"), 413) == "too_large"

    def chunked():  # no Content-Length: the server must stop reading by itself
        yield b'{"text": "x", "pad": "'
        for _ in range(40):
            yield b"p" * 65536
        yield b'"}'

    streamed = agent.post(path, content=chunked(), headers={"Idempotency-Key": "k-stream"})
    assert error_of(streamed, 413) == "too_large"
    assert len(reference_backend.messages(chat_id)) == 1


@pytest.mark.parametrize("field, where", [("name", "customer"), ("title", "customer"), ("channel", "body"),
                                          ("language", "body")])
def test_customer_fields_have_caps(reference_backend, channel, field, where):
    def open_with(value):
        body = {"customer": {"name": "陈静"}}
        (body["customer"] if where == "customer" else body)[field] = value
        return channel.post("/chats", json=body)

    assert open_with("字" * FIELD_CAPS[field]).status_code == 201
    assert error_of(open_with("字" * (FIELD_CAPS[field] + 1)), 422) == "field_too_long"
    assert error_of(open_with(["not", "text"]), 422) == "invalid_customer"


def test_a_large_customer_profile_is_refused(reference_backend, channel):
    orders = [{"id": f"E{n:08d}", "item": "商品" * 50, "status": "已发货", "amount": 10} for n in range(100)]
    response = channel.post("/chats", json={"customer": {"name": "陈静", "orders": orders}})
    assert error_of(response, 422) == "field_too_long"


def test_an_events_page_is_bounded_in_bytes(reference_backend, agent):
    """300 messages of 5000 four-byte characters: 6 MB of text. No page may go far beyond MAX_PAGE_BYTES, and
    paging by the cursor still brings every event, once each."""
    chat_id = reference_backend.open_chat("陈" * FIELD_CAPS["name"])
    for n in range(300):
        reference_backend.customer_says(chat_id, f"{n:04d}" + "\U0001F600" * 4996)
    cursor, seen, largest = 0, [], 0
    while True:
        response = agent.get("/events", params={"after": cursor})
        largest = max(largest, len(response.content))
        page = response.json()
        if not page["events"]:
            break
        seen += [event["message"]["text"][:4] for event in page["events"] if "message" in event]
        cursor = page["cursor"]
    assert seen == [f"{n:04d}" for n in range(300)]
    assert largest <= MAX_PAGE_BYTES + 30_000, largest  # the page stops at the first item past the budget

    texts, after = [], 0
    while True:
        page = agent.get(f"/chats/{chat_id}/messages", params={"after": after, "limit": 1000}).json()
        texts += [m["text"][:4] for m in page["messages"]]
        if not page["has_more"]:
            break
        after = page["messages"][-1]["seq"]
    assert texts == [f"{n:04d}" for n in range(300)]
