"""The reference API's answers (docs/api.md), as typed schemas checked when they arrive.

Everything the backend sends is decoded against one of these before any other code reads it, so a payload
that does not fit stops at the client boundary as a clear error naming the field (`fit()` below), never as a
KeyError or TypeError deep inside the sync engine or the store. Unknown fields are ignored (a newer server may
add some); a field that is present must have the documented type (no "7" for 7, no 1 for true).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, TypeVar

import msgspec

from local_cache.order_payloads import Order

Seq = Annotated[int, msgspec.Meta(ge=1)]
Cursor = Annotated[int, msgspec.Meta(ge=0)]
Payload = TypeVar("Payload")


class CustomerFields(msgspec.Struct):
    """The customer fields the chat list shows; the rest of `customer` is the profile, kept as sent (the
    customer panel shows what it can read of it, so one odd profile never stops the feed)."""

    name: str = ""
    title: str = ""
    vip: bool = False
    id: str = ""  # the same for all of a customer's chats (a returning customer); absent from older servers


class Chat(msgspec.Struct):
    id: str
    created_at: float
    updated_at: float
    customer: dict[str, Any] = {}
    channel: str = ""
    state: str = "opened"
    priority: str = "normal"
    tags: list[str] = []
    last_seq: Annotated[int, msgspec.Meta(ge=0)] = 0

    def __post_init__(self) -> None:
        try:
            customer_fields(self)
        except msgspec.ValidationError as error:
            raise ValueError(str(error).replace("$.", "customer.", 1)) from None


def customer_fields(chat: Chat) -> CustomerFields:
    return msgspec.convert(chat.customer, CustomerFields)


class Transfer(msgspec.Struct):
    to: str
    note: str = ""


class Message(msgspec.Struct):
    id: str
    chat_id: str
    seq: Seq
    author: str
    text: str
    created_at: float
    client_key: str | None = None
    private: bool = False  # an internal note; a server from before notes sends none
    # Checked item by item as the message becomes a RemoteMessage (local_cache/attachments.py): one odd
    # attachment is dropped, it does not stop the feed.
    attachments: list[Any] | None = None
    transfer: Transfer | None = None  # on the system line a transfer left: where to, and its (internal) note


class Agent(msgspec.Struct):
    name: str


class MeAnswer(msgspec.Struct):
    agent: Agent
    server_id: str


class ChatsAnswer(msgspec.Struct):
    chats: list[Chat]
    cursor: Cursor


class MessagesAnswer(msgspec.Struct):
    messages: list[Message]
    has_more: bool = False


class Event(msgspec.Struct):
    cursor: Cursor
    type: str = ""
    chat: Chat | None = None
    message: Message | None = None


class EventsAnswer(msgspec.Struct):
    events: list[Event]
    cursor: Cursor


class ErrorBody(msgspec.Struct):
    code: str = ""
    message: str = ""


class ItemAnswer(msgspec.Struct):
    """One item's answer inside POST /batch: what its single endpoint would have said."""

    message: Message | None = None
    chat: Chat | None = None
    error: ErrorBody | None = None


class BatchResult(msgspec.Struct):
    status: Annotated[int, msgspec.Meta(ge=100, le=599)]
    body: ItemAnswer
    idempotency_key: str = ""
    replayed: bool = False


class BatchAnswer(msgspec.Struct):
    results: list[BatchResult]


class CustomerAnswer(msgspec.Struct):
    customer: dict[str, Any] | None = None
    orders: list[Order] = []  # in clear: this is the reveal endpoint


class Misfit(ValueError):
    """The answer is not JSON, is cut short, or does not fit the schema; `reason` names the field."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def fit(content: bytes, schema: type[Payload]) -> Payload:
    try:
        return msgspec.json.decode(content, type=schema)
    except msgspec.ValidationError as error:
        raise Misfit(readable_path(str(error))) from None
    except msgspec.DecodeError as error:
        if "surrogate" not in str(error):
            raise Misfit(f"not valid JSON ({plain(str(error))})") from None
    # JSON may escape half a UTF-16 pair ("\ud800"), which no text can hold. One such character in one
    # customer's message must not stop the whole feed: it arrives as U+FFFD instead.
    try:
        document = json.loads(content)
    except (ValueError, RecursionError):
        raise Misfit("not valid JSON") from None
    try:
        return msgspec.convert(without_lone_surrogates(document), schema)
    except msgspec.ValidationError as error:
        raise Misfit(readable_path(str(error))) from None


def without_lone_surrogates(value):
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {without_lone_surrogates(key): without_lone_surrogates(item) for key, item in value.items()}
    return value


AT_PATH = re.compile(r" - at `([^`]*)`")


def readable_path(message: str) -> str:
    """msgspec's "Expected `str`, got `int` - at `customer.name` - at `$.chats[0]`" as
    "chats[0].customer.name: expected str, got int"."""
    paths = AT_PATH.findall(message)
    what = plain(AT_PATH.sub("", message)).replace("`", "")
    where = ".".join(part.removeprefix("$").lstrip(".") for part in reversed(paths) if part not in ("$", ""))
    return f"{where}: {what[:1].lower()}{what[1:]}" if where else what


def plain(text: str) -> str:
    """msgspec's messages name types and paths, not values; still keep them printable and short."""
    return re.sub(r"[^\x20-\x7e]", "?", text)[:200]
