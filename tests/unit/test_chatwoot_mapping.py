"""Chatwoot's JSON in the console's terms (local_cache/chatwoot_mapping.py), with the shapes Chatwoot sends."""

from __future__ import annotations

import pytest

from local_cache.chatwoot_mapping import (
    KEY_ATTRIBUTE,
    Misfit,
    message_request,
    remote_chat,
    remote_message,
)

CONVERSATION = {
    "id": 42, "account_id": 1, "inbox_id": 3, "status": "open", "priority": "high", "labels": ["vip", "refund"],
    "created_at": 1764700000, "updated_at": 1764700100.5, "last_activity_at": 1764700300, "timestamp": 1764700300,
    "unread_count": 2, "meta": {"channel": "Channel::WebWidget", "sender": {
        "id": 9, "name": "陈静", "email": "chen.jing@example.com", "phone_number": "+8613812345678"}},
}


def test_a_conversation_becomes_a_chat_with_its_contact_masked():
    chat = remote_chat(CONVERSATION)
    assert (chat.id, chat.customer_name, chat.channel, chat.state, chat.priority, chat.vip, chat.tags) == (
        "42", "陈静", "web", "opened", "important", True, ("vip", "refund"))
    assert chat.updated_at == 1764700300  # the last activity: a new message moves it
    assert "13812345678" not in str(chat.profile) and "chen.jing@" not in str(chat.profile)
    assert set(chat.profile) == {"phone", "email"}, "what the customer panel shows, nothing of Chatwoot's own"


@pytest.mark.parametrize("status, state", [("resolved", "closed"), ("pending", "opened"), ("snoozed", "in_progress")])
def test_statuses_map_to_chat_states(status, state):
    assert remote_chat({**CONVERSATION, "status": status}).state == state


@pytest.mark.parametrize("priority, mapped", [("urgent", "urgent"), ("medium", "normal"), (None, "normal")])
def test_priorities_map_to_the_consoles_three(priority, mapped):
    assert remote_chat({**CONVERSATION, "priority": priority}).priority == mapped


def test_messages_keep_their_global_id_as_seq_and_their_key():
    sent = {"id": 1007, "conversation_id": 42, "content": "您好", "message_type": 1, "private": False,
            "created_at": 1764700400, "content_attributes": {KEY_ATTRIBUTE: "k-1"}}
    message = remote_message(sent)
    assert (message.seq, message.author, message.chat_id, message.client_key) == (1007, "agent", "42", "k-1")
    assert remote_message({**sent, "message_type": 0, "content_attributes": {}}).author == "customer"
    assert remote_message({**sent, "message_type": "incoming"}).author == "customer"  # as webhooks say it
    note = remote_message({**sent, "private": True, "content": "call back"})
    assert (note.author, note.text, note.private) == ("agent", "call back", True), "a note, never a reply"
    assert remote_message(sent).private is False
    assert remote_message({**sent, "message_type": 2, "content": ""}) is None


def test_the_key_never_goes_in_source_id():
    body = message_request("您好", "k-9")
    assert "source_id" not in body
    assert body["content_attributes"] == {KEY_ATTRIBUTE: "k-9"} and body["echo_id"] == "k-9"
    assert body["message_type"] == "outgoing" and body["private"] is False


@pytest.mark.parametrize("broken", [{"id": "42"}, {"created_at": "yesterday"}, {"labels": "vip"},
                                    {"status": None}])
def test_a_conversation_that_does_not_fit_is_refused(broken):
    with pytest.raises(Misfit):
        remote_chat({**CONVERSATION, **broken})
