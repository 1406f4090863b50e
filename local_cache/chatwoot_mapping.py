"""What Chatwoot's JSON means in the console's terms, and back.

Conversations become chats, messages become messages (seq = Chatwoot's message id: global, so sparse), and
the console's outbox items become Chatwoot requests. Chatwoot never masks personal data: a contact's phone and
e-mail are masked here, before anything is stored or shown (the clear form is fetched per reveal).

The outbox key is sent as `echo_id` (Chatwoot echoes it in the create answer and its websocket event, and
stores it nowhere) and in content_attributes (which Chatwoot's MessageBuilder drops today: should a future
version keep it, it is read back). Never in `source_id`: an outgoing message with a source_id counts as one
that came from the channel and is never delivered to the customer.
"""

from __future__ import annotations

import mimetypes
from urllib.parse import unquote, urlsplit

from local_cache.attachments import usable_attachments
from local_cache.models import RemoteChat, RemoteMessage
from quick_replies.pii import mask_all, mask_keep

KEY_ATTRIBUTE = "agent_console_key"  # in content_attributes: the outbox item a message was sent for

# Chatwoot's status -> the console's chat state. Pending is a bot's or a queue's; snoozed is parked by an agent.
STATES = {"open": "opened", "pending": "opened", "snoozed": "in_progress", "resolved": "closed"}
# Chatwoot's five priorities -> the console's three, and back (the console's "normal" is Chatwoot's none).
PRIORITIES = {"urgent": "urgent", "high": "important", "medium": "normal", "low": "normal", None: "normal"}
CHATWOOT_PRIORITY = {"urgent": "urgent", "important": "high", "normal": None}
AUTHORS = {0: "customer", 1: "agent", 2: "system", 3: "agent",
           "incoming": "customer", "outgoing": "agent", "activity": "system", "template": "agent"}
CHANNELS = {"WebWidget": "web", "Whatsapp": "whatsapp", "Email": "email", "Telegram": "telegram", "Api": "api",
            "FacebookPage": "facebook", "Instagram": "instagram", "TwilioSms": "sms", "Sms": "sms", "Line": "line",
            "Tiktok": "tiktok", "Voice": "voice"}


class Misfit(ValueError):
    """Chatwoot's answer is not what its API gives: a field missing or of the wrong type."""


def field(body: dict, name: str, kind: type | tuple[type, ...], where: str):
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise Misfit(f"{where}: `{name}` is {type(value).__name__}, not {getattr(kind, '__name__', kind)}")
    return value


def epoch(value, where: str) -> float:
    """Chatwoot sends times as epoch seconds (some fields as floats)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Misfit(f"{where}: a time is {type(value).__name__}, not epoch seconds")
    return float(value)


def channel_name(channel: object) -> str:
    kind = str(channel or "").removeprefix("Channel::")
    return CHANNELS.get(kind, kind.lower() or "chatwoot")


def masked_field(value: str) -> str:
    """A contact's phone or e-mail, masked whatever its shape: the detector knows the shapes it knows (a
    +1 number may not be one of them), and this field is personal data by definition."""
    masked = mask_all(value)
    return masked if masked != value else mask_keep(value, 2, 2)


def remote_chat(conversation: dict) -> RemoteChat:
    where = f"conversation {conversation.get('id')!r}" if isinstance(conversation, dict) else "conversation"
    conversation_id = field(conversation, "id", int, where)
    meta = conversation.get("meta") or {}
    sender = meta.get("sender") or {}
    status = field(conversation, "status", str, where)
    created = epoch(conversation.get("created_at"), where)
    # A new message bumps last_activity_at (and `timestamp`), a status or label change updated_at: either moves.
    moved = max(epoch(conversation.get(name), where) for name in ("last_activity_at", "timestamp", "updated_at",
                                                                   "created_at") if conversation.get(name) is not None)
    labels = conversation.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise Misfit(f"{where}: `labels` is not a list of names")
    profile = {name: masked_field(str(value)) for name, value in (("phone", sender.get("phone_number")),
                                                                   ("email", sender.get("email"))) if value}
    return RemoteChat(
        id=str(conversation_id),
        customer_name=str(sender.get("name") or f"Contact {sender.get('id', '?')}"),
        customer_title="",
        vip="vip" in labels,
        channel=channel_name(meta.get("channel")),
        state=STATES.get(status, "opened"),
        priority=PRIORITIES.get(conversation.get("priority"), "normal"),
        created_at=created,
        updated_at=moved,
        tags=tuple(labels),
        profile=profile,
        # The contact: every conversation of one contact (a returning customer) carries its id.
        customer_id=contact_id(sender),
    )


def contact_id(sender: dict) -> str:
    """The contact's id as text ('' without one: a bool or a list is not an id)."""
    value = sender.get("id") if isinstance(sender, dict) else None
    return str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) and value != "" else ""


def remote_message(message: dict, conversation_id: int | str | None = None) -> RemoteMessage | None:
    """None for what the console does not show as a message (an empty activity line)."""
    where = f"message {message.get('id')!r}" if isinstance(message, dict) else "message"
    message_id = field(message, "id", int, where)
    chat_id = message.get("conversation_id", conversation_id)
    if chat_id is None:
        raise Misfit(f"{where}: no conversation_id")
    kind = message.get("message_type")
    if kind not in AUTHORS:
        raise Misfit(f"{where}: message_type {kind!r} is not one Chatwoot sends")
    author = AUTHORS[kind]
    text = message.get("content") or ""
    if not isinstance(text, str):
        raise Misfit(f"{where}: `content` is {type(text).__name__}")
    raw_attachments = message.get("attachments")
    attachments = usable_attachments([attachment_fields(item) for item in raw_attachments]
                                     if isinstance(raw_attachments, list) else raw_attachments, where)
    # An internal note (an agent's, or this console's transfer note): agents only. It stays a note, shown apart
    # and never counted as an answer; never as if the customer had it.
    private = message.get("private") is True
    if not text and author == "system":
        return None
    attributes = message.get("content_attributes") or {}
    key = attributes.get(KEY_ATTRIBUTE) if isinstance(attributes, dict) else None
    return RemoteMessage(
        id=f"cw:{message_id}",
        chat_id=str(chat_id),
        seq=message_id,
        author=author,
        text=text,
        created_at=epoch(message.get("created_at"), where),
        client_key=key if isinstance(key, str) else None,
        private=private,
        attachments=attachments,
    )


def attachment_fields(item: object) -> object:
    """Chatwoot's attachment (Attachment#push_event_data: `file_type` image | audio | video | file | location |
    fallback | …, `data_url`, `file_size`, `extension`; no file name, no MIME type) as the console's fields. The
    name is the URL's last segment (ActiveStorage ends its links with the file name), the type guessed from it."""
    if not isinstance(item, dict):
        return item
    url = item.get("data_url")
    path_name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) if isinstance(url, str) and url else ""
    extension = item.get("extension") if isinstance(item.get("extension"), str) else ""
    kind = item.get("file_type") if isinstance(item.get("file_type"), str) else "file"
    name = path_name or item.get("fallback_title") or f"{kind}.{extension}".rstrip(".")
    guessed = mimetypes.guess_type(name if "." in name else f"x.{extension}")[0] if isinstance(name, str) else None
    size = item.get("file_size")
    return {"id": item.get("id"), "name": name, "url": url,
            "type": guessed or (f"{kind}/{extension}" if kind in ("image", "audio", "video") and extension else ""),
            "size": 0 if size is None else size}


def message_request(text: str, key: str, private: bool = False) -> dict:
    return {"content": text, "message_type": "outgoing", "private": private, "echo_id": key,
            "content_attributes": {KEY_ATTRIBUTE: key}}
