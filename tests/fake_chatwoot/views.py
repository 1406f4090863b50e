"""The JSON Chatwoot renders, after its jbuilder views (app/views/api/v1/..., chatwoot/chatwoot)."""

from __future__ import annotations

from tests.fake_chatwoot.state import ACTIVITY, INCOMING, ChatwootState, Contact, Conversation, Message

CHANNEL = "Channel::Api"


def contact(state: ChatwootState, c: Contact) -> dict:
    """api/v1/models/_contact.json.jbuilder; never masked."""
    return {"additional_attributes": {}, "availability_status": "offline", "email": c.email, "id": c.id,
            "name": c.name, "phone_number": c.phone_number, "identifier": c.identifier, "thumbnail": "",
            "custom_attributes": {}, "created_at": int(c.created_at), "last_activity_at": None}


def agent(state: ChatwootState, a: dict) -> dict:
    """api/v1/models/_agent.json.jbuilder"""
    return {"id": a["id"], "account_id": state.account_id, "availability_status": "online", "auto_offline": True,
            "confirmed": True, "email": a["email"], "provider": "email", "available_name": a["name"],
            "name": a["name"], "role": a["role"], "thumbnail": ""}


def team(state: ChatwootState, t: dict) -> dict:
    """api/v1/models/_team.json.jbuilder"""
    return {"id": t["id"], "name": t["name"], "description": t["description"], "allow_auto_assign": True,
            "account_id": state.account_id, "is_member": False}


def profile(state: ChatwootState) -> dict:
    """api/v1/models/_user.json.jbuilder (profiles/show)"""
    a = state.agent
    return {"access_token": state.token, "account_id": state.account_id, "available_name": a["name"],
            "avatar_url": "", "confirmed": True, "display_name": None, "message_signature": None,
            "email": a["email"], "id": a["id"], "inviter_id": None, "name": a["name"], "provider": "email",
            "pubsub_token": a["pubsub_token"], "role": a["role"], "ui_settings": {}, "uid": a["email"],
            "type": "User",
            "accounts": [{"id": state.account_id, "name": "Fake Support", "status": "active", "active_at": None,
                          "role": a["role"], "permissions": [a["role"]], "availability": "online",
                          "availability_status": "online", "auto_offline": True}]}


def _sender(state: ChatwootState, m: Message) -> dict | None:
    """User#push_event_data / Contact#push_event_data"""
    if m.sender_type == "User":
        a = next(x for x in state.agents if x["id"] == m.sender_id)
        return {"id": a["id"], "name": a["name"], "available_name": a["name"], "avatar_url": "",
                "type": "user", "availability_status": "online", "thumbnail": ""}
    if m.sender_type == "Contact":
        c = state.contacts[m.sender_id]
        return {"id": c.id, "name": c.name, "avatar": "", "type": "contact", "identifier": c.identifier,
                "phone_number": c.phone_number, "email": c.email, "thumbnail": "", "additional_attributes": {},
                "custom_attributes": {}}
    return None


def message(state: ChatwootState, m: Message, echo_id=None) -> dict:
    """api/v1/models/_message.json.jbuilder; echo_id is an attr_accessor, so only the create response has it."""
    data = {"id": m.id, "content": m.content, "inbox_id": m.inbox_id}
    if echo_id is not None:
        data["echo_id"] = echo_id
    data.update({"conversation_id": m.conversation_id, "message_type": m.message_type, "content_type": m.content_type,
                 "status": "sent", "content_attributes": m.content_attributes, "created_at": int(m.created_at),
                 "private": m.private, "source_id": m.source_id})
    if m.attachments:  # `json.attachments … if message.attachments.present?`
        data["attachments"] = [dict(attachment) for attachment in m.attachments]
    sender = _sender(state, m)
    if sender is not None:
        data["sender"] = sender
    return data


def push_event_data(state: ChatwootState, m: Message, conversation: Conversation) -> dict:
    """Message#push_event_data: the record's attributes, as the conversation list and ActionCable show them."""
    data = {**message(state, m), "account_id": state.account_id, "additional_attributes": {},
            "sender_type": m.sender_type, "sender_id": m.sender_id, "updated_at": m.created_at,
            "conversation": {"assignee_id": conversation.assignee_id, "unread_count": 0}}
    data.pop("sender", None)
    sender = _sender(state, m)
    if sender is not None:
        data["sender"] = sender
    return data


def conversation(state: ChatwootState, c: Conversation) -> dict:
    """api/v1/conversations/partials/_conversation.json.jbuilder"""
    messages = [m for m in state.messages if m.conversation_id == c.display_id]
    non_activity = [m for m in messages if m.message_type != ACTIVITY]
    meta = {"sender": contact(state, state.contacts[c.contact_id]), "channel": CHANNEL, "hmac_verified": False}
    assignee = next((a for a in state.agents if a["id"] == c.assignee_id), None)
    if assignee is not None:
        meta["assignee"] = agent(state, assignee)
    assigned_team = next((t for t in state.teams if t["id"] == c.team_id), None)
    if assigned_team is not None:
        meta["team"] = team(state, assigned_team)
    return {
        "meta": meta, "id": c.display_id,
        "messages": [push_event_data(state, messages[-1], c)] if messages else [],
        "account_id": state.account_id, "uuid": c.uuid, "additional_attributes": {}, "agent_last_seen_at": 0,
        "assignee_last_seen_at": 0, "can_reply": True, "contact_last_seen_at": 0, "custom_attributes": {},
        "inbox_id": c.inbox_id, "labels": list(c.labels), "muted": False, "snoozed_until": None,
        "status": c.status, "created_at": int(c.created_at), "updated_at": c.updated_at,
        "timestamp": int(c.last_activity_at), "first_reply_created_at": 0,
        "unread_count": sum(1 for m in messages if m.message_type == INCOMING),
        "last_non_activity_message": push_event_data(state, non_activity[-1], c) if non_activity else None,
        "last_activity_at": int(c.last_activity_at), "priority": c.priority, "waiting_since": 0,
        "sla_policy_id": None,
    }


def message_list(state: ChatwootState, c: Conversation, messages: list[Message]) -> dict:
    """api/v1/accounts/conversations/messages/index.json.jbuilder"""
    assignee = next((a for a in state.agents if a["id"] == c.assignee_id), None)
    meta = {"labels": list(c.labels), "additional_attributes": {},
            "contact": _sender(state, Message(0, 0, 0, None, 0, False, 0, sender_type="Contact",
                                              sender_id=c.contact_id)),
            "agent_last_seen_at": None}
    if assignee is not None:
        meta["assignee"] = _sender(state, Message(0, 0, 0, None, 0, False, 0, sender_type="User",
                                                  sender_id=assignee["id"]))
    return {"meta": meta, "payload": [message(state, m) for m in messages]}
