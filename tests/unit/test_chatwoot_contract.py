"""The Chatwoot contract checker accepts exchanges shaped as Chatwoot really sends them and rejects broken ones.

The valid bodies follow Chatwoot's views (app/views/api/v1/...): ids are integers, message_type an integer,
created_at an epoch integer, absent values null. See tests/fixtures/chatwoot/SOURCE.md.
"""

import json

import pytest

from tests.chatwoot_contract import ChatwootContractError, validate_request, validate_response

BASE = "http://127.0.0.1:8123"
TOKEN = {"api_access_token": "secret-token"}
JSON_HEADERS = {**TOKEN, "Content-Type": "application/json"}
JSON_REPLY = {"content-type": "application/json; charset=utf-8"}


def body(value) -> bytes:
    return json.dumps(value).encode()


def agent_message(message_id=7001, conversation_id=42, **changes):
    message = {
        "id": message_id,
        "content": "Your refund is on its way.",
        "account_id": 3,
        "inbox_id": 1,
        "conversation_id": conversation_id,
        "message_type": 1,
        "content_type": "text",
        "status": "sent",
        "content_attributes": {"agent_console_key": "k-1"},
        "created_at": 1764770000,
        "private": False,
        "source_id": None,
        "sender_type": "User",
        "sender_id": 9,
        "sender": {"id": 9, "name": "Ana", "type": "user"},
    }
    message.update(changes)
    return message


def conversation(display_id=42, **changes):
    value = {
        "meta": {
            "sender": {"id": 5, "name": "Wei", "email": None, "phone_number": "+8613800000000",
                       "identifier": None, "additional_attributes": {}, "custom_attributes": {},
                       "thumbnail": "", "blocked": False, "last_activity_at": 1764770000, "created_at": 1764700000},
            "channel": "Channel::Api",
            "assignee": {"id": 9, "name": "Ana", "available_name": "Ana", "role": "agent", "thumbnail": "",
                         "availability_status": "available", "confirmed": True,
                         "email": "ana@example.com", "auto_offline": True, "custom_role_id": None},
            "hmac_verified": False,
        },
        "id": display_id,
        # Message#push_event_data: every column, so updated_at is the datetime string here.
        "messages": [agent_message(conversation_id=display_id, updated_at="2026-12-03T10:00:00.000Z")],
        "account_id": 3,
        "uuid": "7b3c0f6e-0000-4000-8000-000000000042",
        "additional_attributes": {},
        "agent_last_seen_at": 1764770001,
        "assignee_last_seen_at": 0,
        "can_reply": True,
        "contact_last_seen_at": 0,
        "custom_attributes": {},
        "inbox_id": 1,
        "labels": ["refund"],
        "muted": False,
        "snoozed_until": None,
        "status": "open",
        "created_at": 1764700000,
        "timestamp": 1764770000,
        "first_reply_created_at": 1764700100,
        "unread_count": 0,
        "last_non_activity_message": agent_message(conversation_id=display_id),
        "last_activity_at": 1764770000,
        "priority": None,
        "waiting_since": 0,
        "sla_policy_id": None,
    }
    value.update(changes)
    return value


def test_profile_as_the_user_partial_sends_it():
    url = f"{BASE}/api/v1/profile"
    validate_request("GET", url, TOKEN, b"")
    profile = {
        "id": 9, "name": "Ana", "available_name": "Ana", "email": "ana@example.com", "pubsub_token": "pst-1",
        "access_token": "secret-token", "account_id": 3, "avatar_url": "", "confirmed": True, "display_name": None,
        "message_signature": None, "inviter_id": None, "provider": "email", "role": "agent", "ui_settings": {},
        "uid": "ana@example.com", "type": None,
        "accounts": [{"id": 3, "name": "Acme", "status": "active", "active_at": None, "role": "agent",
                      "permissions": ["agent"], "availability": "online", "availability_status": "online",
                      "auto_offline": True}],
    }
    validate_response("GET", url, TOKEN, b"", 200, JSON_REPLY, body(profile))


def test_conversation_list_page_with_meta():
    url = f"{BASE}/api/v1/accounts/3/conversations?assignee_type=me&status=all&sort_by=last_activity_at_desc&page=2"
    validate_request("GET", url, TOKEN, b"")
    page = {"data": {"meta": {"mine_count": 26, "assigned_count": 30, "unassigned_count": 4, "all_count": 34},
                     "payload": [conversation(42),
                                 conversation(43, status="snoozed", priority="high", messages=[],
                                              snoozed_until="2026-12-04T09:00:00.000Z",
                                              last_non_activity_message=None)]}}
    validate_response("GET", url, TOKEN, b"", 200, JSON_REPLY, body(page))


def test_messages_after_an_id_and_a_send_with_key_and_echo_id():
    url = f"{BASE}/api/v1/accounts/3/conversations/42/messages?after=7000"
    validate_request("GET", url, TOKEN, b"")
    incoming = agent_message(7003, message_type=0, sender_type="Contact", content_attributes={})
    listing = {"meta": {"labels": [], "additional_attributes": {}, "contact": {"id": 5, "name": "Wei"},
                        "agent_last_seen_at": "2026-12-03T10:00:00.000Z", "assignee_last_seen_at": None},
               "payload": [agent_message(7001), incoming]}
    validate_response("GET", url, TOKEN, b"", 200, JSON_REPLY, body(listing))

    send_url = f"{BASE}/api/v1/accounts/3/conversations/42/messages"
    send = body({"content": "Your refund is on its way.", "message_type": "outgoing", "private": False,
                 "echo_id": "k-1", "content_attributes": {"agent_console_key": "k-1"}})
    validate_request("POST", send_url, JSON_HEADERS, send)
    validate_response("POST", send_url, JSON_HEADERS, send, 200, JSON_REPLY, body(agent_message(echo_id="k-1")))
    validate_response("POST", send_url, JSON_HEADERS, send, 422, JSON_REPLY, body({"error": "Too many messages"}))
    validate_response("POST", send_url, JSON_HEADERS, send, 429, {"content-type": "text/plain"}, b"Retry later\n")


def test_actions_and_lookups():
    conversation_url = f"{BASE}/api/v1/accounts/3/conversations/42"
    close = body({"status": "resolved"})
    validate_request("POST", f"{conversation_url}/toggle_status", JSON_HEADERS, close)
    validate_response("POST", f"{conversation_url}/toggle_status", JSON_HEADERS, close, 200, JSON_REPLY,
                      body({"meta": {}, "payload": {"success": True, "current_status": "resolved",
                                                    "conversation_id": 42}}))
    validate_request("POST", f"{conversation_url}/labels", JSON_HEADERS, body({"labels": ["refund", "vip"]}))
    validate_request("POST", f"{conversation_url}/toggle_priority", JSON_HEADERS, body({"priority": "urgent"}))
    validate_request("POST", f"{conversation_url}/assignments", JSON_HEADERS, body({"team_id": 4}))
    validate_response("GET", conversation_url, TOKEN, b"", 200, JSON_REPLY, body(conversation(42)))
    validate_response("GET", f"{BASE}/api/v1/accounts/3/canned_responses", TOKEN, b"", 200, JSON_REPLY,
                      body([{"id": 1, "account_id": 3, "short_code": "refund", "content": "Refunds take 3 days.",
                             "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:00:00.000Z"}]))
    validate_response("GET", f"{BASE}/api/v1/accounts/3/teams", TOKEN, b"", 200, JSON_REPLY,
                      body([{"id": 4, "name": "billing", "description": None, "allow_auto_assign": True,
                             "account_id": 3, "is_member": False}]))


@pytest.mark.parametrize(
    "method, url, status, reply, mismatch",
    [
        ("GET", "/api/v1/accounts/3/conversations/42/messages", 200,
         {"payload": [agent_message(message_type="outgoing")]}, "message_type"),
        ("GET", "/api/v1/accounts/3/conversations/42/messages", 200,
         {"payload": [agent_message(created_at="2026-12-03T10:00:00Z")]}, "created_at"),
        # A numeric string must not pass for an integer id (openapi-core would cast it if left to itself).
        ("GET", "/api/v1/accounts/3/conversations/42/messages", 200,
         {"payload": [agent_message(message_id="7001")]}, "payload/0/id"),
        ("GET", "/api/v1/accounts/3/conversations", 200,
         {"data": {"meta": {}, "payload": [conversation(status="closed")]}}, "data/payload/0/status"),
        ("GET", "/api/v1/profile", 200, {"id": "nine", "pubsub_token": "pst-1"}, "id"),
        ("GET", "/api/v1/profile", 418, {"error": "teapot"}, "418"),
    ],
)
def test_rejects_a_response_chatwoot_would_not_send(method, url, status, reply, mismatch):
    with pytest.raises(ChatwootContractError) as caught:
        validate_response(method, BASE + url, TOKEN, b"", status, JSON_REPLY, body(reply))
    assert url.split("?")[0] in str(caught.value)
    assert mismatch in str(caught.value)


def test_rejects_a_send_without_content_a_bad_priority_an_unknown_path_and_a_missing_token():
    send_url = f"{BASE}/api/v1/accounts/3/conversations/42/messages"
    with pytest.raises(ChatwootContractError, match="content"):
        validate_request("POST", send_url, JSON_HEADERS, body({"message_type": "outgoing"}))
    with pytest.raises(ChatwootContractError, match="toggle_priority"):
        validate_request("POST", f"{BASE}/api/v1/accounts/3/conversations/42/toggle_priority", JSON_HEADERS,
                         body({"priority": "critical"}))
    with pytest.raises(ChatwootContractError, match="/api/v1/accounts/3/conversations/42/notes"):
        validate_request("GET", f"{BASE}/api/v1/accounts/3/conversations/42/notes", TOKEN, b"")
    with pytest.raises(ChatwootContractError, match="/api/v1/profile"):
        validate_request("GET", f"{BASE}/api/v1/profile", {}, b"")
