"""Agent writes (messages and chat actions): validation and idempotent application, shared by the single
endpoints and the batch endpoint so a key means the same thing whichever way it arrives."""

from __future__ import annotations

import hashlib
import json

from backend.api_errors import ApiError
from backend.request_limits import MAX_TAG_CHARS, MAX_TAGS, MAX_TRANSFER_TARGET_CHARS
from backend.store import PRIORITIES, BackendStore, StoredResponse

MAX_TEXT_CHARS = 5000
MAX_NOTE_CHARS = 1000
ACTION_TYPES = ("close", "transfer", "tag", "priority")
WRITE_KINDS = {"message": "messages", "action": "actions"}


def perform(store: BackendStore, kind: str, chat_id: str, body: dict, key: str) -> tuple[StoredResponse, bool]:
    """Apply one write at most once per key. Returns the response and whether it was a replay."""
    if not (isinstance(key, str) and 0 < len(key) <= 200 and key.isascii() and key.isprintable()):
        raise ApiError(400, "bad_idempotency_key", "Idempotency-Key (1-200 printable ASCII) required")
    if not isinstance(kind, str) or kind not in WRITE_KINDS:  # a list or an object is no type (nor hashable)
        raise ApiError(422, "invalid_type", f"type must be one of {', '.join(WRITE_KINDS)}")
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", "body must be a JSON object")
    if not isinstance(chat_id, str):
        raise ApiError(422, "invalid_chat_id", "chat_id must be a string")
    if store.chat(chat_id) is None:
        raise ApiError(404, "no_such_chat", f"no chat {chat_id}")
    if kind == "message":
        text, private = valid_text(body), valid_private(body)

        def apply() -> StoredResponse:
            message = store.add_message(chat_id, "agent", text, client_key=key, private=private)
            return StoredResponse(201, {"message": message})
    else:
        fields = action_fields(body)
        line = action_line(body)

        def apply() -> StoredResponse:
            answer = {}
            if line:  # in the chat's history, so every client (and the team it goes to) sees it
                transfer = {"to": body["to"].strip(), "note": (body.get("note") or "").strip()}
                answer["message"] = store.add_message(chat_id, "system", line, client_key=key, transfer=transfer)
            answer["chat"] = store.update_chat(chat_id, **fields)
            return StoredResponse(200, answer)

    # The fingerprint is that of the single endpoint's request, so a batch item and a single POST with the same
    # key and body are the same request. `"private": false` is the default spelled out: the same request as
    # without it (and a key stored before notes existed still matches its retry).
    if kind == "message" and body.get("private") is False:
        body = {name: value for name, value in body.items() if name != "private"}
    fingerprint = hashlib.sha256(
        f"POST /api/v1/chats/{chat_id}/{WRITE_KINDS[kind]}\n".encode()
        + json.dumps(body, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    with store.transaction():
        previous = store.stored_response(key)
        if previous is not None:
            stored_fingerprint, response = previous
            if stored_fingerprint != fingerprint:
                raise ApiError(422, "idempotency_key_reused", "this key was used with a different request")
            return response, True
        response = apply()
        store.store_response(key, fingerprint, response)
    return response, False


def valid_text(body: dict) -> str:
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(422, "invalid_text", "text must be a non-empty string")
    if len(text) > MAX_TEXT_CHARS:
        raise ApiError(422, "text_too_long", f"text is over {MAX_TEXT_CHARS} characters")
    return text


def valid_private(body: dict) -> bool:
    """An internal note (true) or a message to the customer (false, the default). Only a JSON boolean: a note
    sent as "true" or 1 by a confused client must not reach the customer as a message, nor the other way."""
    private = body.get("private", False)
    if not isinstance(private, bool):
        raise ApiError(422, "invalid_private", "private must be true or false")
    return private


def action_fields(body: dict) -> dict:
    kind = body.get("type")
    if kind not in ACTION_TYPES:
        raise ApiError(422, "invalid_action", f"type must be one of {', '.join(ACTION_TYPES)}")
    if kind == "close":
        return {"state": "closed"}
    if kind == "transfer":
        if not isinstance(body.get("to"), str) or not body["to"].strip():
            raise ApiError(422, "invalid_action", "transfer needs 'to'")
        if len(body["to"]) > MAX_TRANSFER_TARGET_CHARS:
            raise ApiError(422, "invalid_action", f"a transfer's 'to' is up to {MAX_TRANSFER_TARGET_CHARS} characters")
        note = body.get("note") or ""
        if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
            raise ApiError(422, "invalid_action", f"a transfer's note is a string of up to {MAX_NOTE_CHARS} characters")
        return {"state": "transferred"}
    if kind == "tag":
        tags = body.get("tags")
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ApiError(422, "invalid_action", "tag needs 'tags': a list of strings")
        if len(tags) > MAX_TAGS or any(len(tag) > MAX_TAG_CHARS for tag in tags):
            raise ApiError(422, "invalid_action", f"up to {MAX_TAGS} tags of up to {MAX_TAG_CHARS} characters each")
        return {"tags": tags}
    if body.get("priority") not in PRIORITIES:
        raise ApiError(422, "invalid_action", f"priority must be one of {', '.join(PRIORITIES)}")
    return {"priority": body["priority"]}


def action_line(body: dict) -> str:
    """The system message an action leaves in the chat's transcript ("" for none): a transfer and its note."""
    if body.get("type") != "transfer":
        return ""
    note = (body.get("note") or "").strip()
    return f"Transferred to {body['to'].strip()}: {note}" if note else f"Transferred to {body['to'].strip()}"
