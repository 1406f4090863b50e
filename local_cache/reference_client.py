"""BackendClient for the reference API (docs/api.md), over httpx."""

from __future__ import annotations

import asyncio
import json
import time
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import httpx

from local_cache import order_payloads, payloads
from local_cache.attachments import usable_attachments
from local_cache.backend_client import (
    AuthenticationRejected,
    BackendError,
    BackendUnavailable,
    BadPayload,
    ChangeBatch,
    CursorExpired,
    Delivery,
    Identity,
    RequestRejected,
    Snapshot,
    UnexpectedStatus,
)
from local_cache.models import Order, OutboxItem, RemoteChat, RemoteMessage
from local_cache.order_payloads import remote_order
from local_cache.payloads import Payload

TRANSIENT_STATUSES = {408, 409, 425, 429}
# A whole POST /batch refused with one of these is about what was sent (docs/api.md): narrow it down to the
# item. Any other 4xx there (404, 405, 410, ...) means the endpoint is not what it should be: try again later.
ITEM_STATUSES = frozenset({400, 413, 422})
BATCH_LIMIT = 100  # the reference API's maximum items per POST /batch
# The API refuses a request body over 64 KiB whole (413, docs/api.md): a batch of long messages is split into
# requests under it, or a 413 would send them one at a time with a backoff between (21 s for ten 5,000-character
# messages). The rest of 64 KiB is room for the envelope.
MAX_BATCH_BYTES = 60 * 1024
REQUEST_DEADLINE = 15.0  # whole request; httpx's own timeouts are per phase and per chunk
# The change feed asks for a space every HEARTBEAT s while it waits; a read that hears nothing for
# SILENCE_LIMIT s means the server stopped answering (frozen, or the network dropped), not a quiet feed.
HEARTBEAT = 1.0
CONNECT_TIMEOUT = 5.0
# The largest answer read: a full events page (500 events, each a chat and a 5,000-character message) is about
# 10 MiB, so this leaves room and still stops a runaway server long before it costs the console its memory.
MAX_ANSWER_BYTES = 32 * 2**20
SILENCE_LIMIT = 3.5


class ReferenceApiClient:
    def __init__(self, base_url: str, token: str, *, deadline: float = REQUEST_DEADLINE,
                 silence_limit: float = SILENCE_LIMIT, max_answer_bytes: int = MAX_ANSWER_BYTES, transport=None):
        self._deadline, self._silence_limit = deadline, silence_limit
        self._max_answer_bytes = max_answer_bytes
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(deadline, connect=CONNECT_TIMEOUT),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def identity(self) -> Identity:
        body = await self._request("GET", "/me", payloads.MeAnswer)
        return Identity(agent_name=body.agent.name, server_id=body.server_id)

    async def snapshot(self) -> Snapshot:
        body = await self._request("GET", "/chats", payloads.ChatsAnswer)
        return Snapshot(chats=[remote_chat(c) for c in body.chats], cursor=body.cursor)

    async def messages_after(self, chat_id: str, after_seq: int) -> list[RemoteMessage]:
        messages: list[RemoteMessage] = []
        while True:
            path = f"/chats/{chat_id}/messages"
            body = await self._request("GET", path, payloads.MessagesAnswer, params={"after": after_seq})
            page = [remote_message(m) for m in body.messages]
            for message in page:
                if message.chat_id != chat_id or message.seq <= after_seq:
                    raise BadPayload(f"GET {path}: answer does not fit the API: a message of another chat "
                                     f"or not after seq {after_seq}")
                after_seq = message.seq
            messages.extend(page)
            if not body.has_more or not page:
                return messages

    async def customer_profile(self, chat_id: str) -> dict:
        body = await self._request("GET", f"/chats/{chat_id}/customer", payloads.CustomerAnswer,
                                   item_statuses=frozenset({404}))
        return body.customer or {}

    async def customer_orders(self, chat_id: str, *, revealed: bool = False) -> list[Order]:
        """Masked from GET /chats/{id}/orders; in clear from the reveal endpoint, which carries them too."""
        path = f"/chats/{quote(chat_id, safe='')}/" + ("customer" if revealed else "orders")
        schema = payloads.CustomerAnswer if revealed else order_payloads.OrdersAnswer
        body = await self._request("GET", path, schema, item_statuses=frozenset({404}))
        if any(order.chat_id != chat_id for order in body.orders):
            raise BadPayload(f"GET {path}: answer does not fit the API: an order of another chat")
        return [remote_order(order, revealed) for order in body.orders]

    async def order(self, order_no: str) -> Order | None:
        if not order_no:
            return None
        path = f"/orders/{quote(order_no, safe='')}"
        try:
            body = await self._request("GET", path, order_payloads.OrderAnswer, item_statuses=frozenset({404}))
        except RequestRejected as error:
            if error.status == 404:
                return None
            raise
        if body.order.order_no != order_no:
            raise BadPayload(f"GET {path}: answer does not fit the API: another order than the one asked for")
        return remote_order(body.order, revealed=False)

    async def changes_after(self, cursor: int, wait: float) -> ChangeBatch:
        params = {"after": cursor, "wait": wait, **({"heartbeat": HEARTBEAT} if wait else {})}
        try:
            body = await self._request("GET", "/events", payloads.EventsAnswer, params=params,
                                       deadline=wait + self._deadline, silence_limit=self._silence_limit)
        except UnexpectedStatus as error:
            if error.status == 410:  # the only endpoint where 410 has a meaning: our cursor is too old
                raise CursorExpired(error.detail) from None
            raise
        chats: dict[str, RemoteChat] = {}
        messages: list[RemoteMessage] = []
        for event in body.events:
            if event.chat is not None:
                chats[event.chat.id] = remote_chat(event.chat)
            if event.message is not None:
                messages.append(remote_message(event.message))
        return ChangeBatch(chats=list(chats.values()), messages=messages, cursor=body.cursor)

    batch_limit = BATCH_LIMIT
    sparse_seqs = False  # seq counts each chat's messages from 1 (docs/api.md): a gap is a message not yet seen

    def replace_token(self, token: str) -> None:
        self._http.headers["Authorization"] = f"Bearer {token}"

    async def deliver(self, items: list[OutboxItem]) -> list[Delivery]:
        """Deliver `items` in order, in as many requests as their size needs; stops at the first item the
        backend could not apply now (the ones behind it wait their turn)."""
        deliveries: list[Delivery] = []
        for batch in batches_within(items, MAX_BATCH_BYTES):
            try:
                answered = await self._deliver_batch(batch)
            except BackendError:
                if deliveries:
                    return deliveries  # settled stays settled; the rest is retried with its keys
                raise
            deliveries += answered
            if len(answered) < len(batch):
                break
        return deliveries

    async def _deliver_batch(self, items: list[OutboxItem]) -> list[Delivery]:
        try:
            body = await self._request("POST", "/batch", payloads.BatchAnswer, item_statuses=ITEM_STATUSES,
                                       content=batch_body([item_json(item) for item in items]),
                                       headers={"Content-Type": "application/json"})
        except RequestRejected as error:
            if len(items) > 1:
                # The whole request was refused and we cannot tell for which item: try the first on its own.
                return await self._deliver_batch(items[:1])
            return [Delivery(items[0].idempotency_key, False, error=error.detail.split(": ", 1)[-1])]
        deliveries = []
        for item, result in zip(items, body.results):
            if result.idempotency_key and result.idempotency_key != item.idempotency_key:
                raise BadPayload(f"POST /batch: answer does not fit the API: results[{len(deliveries)}] "
                                 "answers another item than the one sent there")
            status, answer = result.status, result.body
            if status < 300:
                deliveries.append(Delivery(
                    item.idempotency_key, True,
                    message=remote_message(answer.message) if answer.message is not None else None,
                    chat=remote_chat(answer.chat) if answer.chat is not None else None,
                ))
            elif status >= 500 or status in TRANSIENT_STATUSES:
                break  # this item and the ones behind it are retried later, in order
            else:
                error = payloads.plain(answer.error.message) if answer.error is not None else ""
                deliveries.append(Delivery(item.idempotency_key, False, error=f"HTTP {status} {error}"))
        if not deliveries:
            raise BackendUnavailable("POST /batch: the first item could not be applied now")
        return deliveries

    async def _read_capped(self, request: httpx.Request) -> tuple[httpx.Response, bytes | None]:
        """The response and its body, or None for a body over the cap (read no further: a server that sends
        hundreds of megabytes must not take the console's memory with it)."""
        response = await self._http.send(request, stream=True)
        try:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self._max_answer_bytes:
                    return response, None
            return response, bytes(body)
        finally:
            await response.aclose()

    async def _request(self, method: str, path: str, schema: type[Payload], *, deadline: float | None = None,
                       silence_limit: float | None = None, item_statuses: frozenset[int] = frozenset(),
                       **kwargs) -> Payload:
        """The answer, decoded and checked against `schema`. A 4xx in `item_statuses` means the request itself
        can never succeed (RequestRejected); any other unexpected status is UnexpectedStatus (tried again)."""
        endpoint = f"{method} {path}"
        if silence_limit is not None:  # httpx's read timeout is the longest wait for the next chunk
            kwargs["timeout"] = httpx.Timeout(silence_limit, connect=CONNECT_TIMEOUT)
        try:
            async with asyncio.timeout(deadline or self._deadline):
                response, content = await self._read_capped(self._http.build_request(method, path, **kwargs))
        except TimeoutError:
            raise BackendUnavailable(f"{endpoint}: no complete answer within the deadline") from None
        except httpx.HTTPError as error:
            # str(error) never includes request headers, so the token cannot leak through it.
            raise BackendUnavailable(f"{endpoint}: {type(error).__name__}: {error}") from None
        if content is None:
            raise BadPayload(f"{endpoint}: answer does not fit the API: larger than "
                             f"{self._max_answer_bytes:,} bytes") from None
        status = response.status_code
        if 200 <= status < 300:
            try:
                return payloads.fit(content, schema)
            except payloads.Misfit as misfit:
                raise BadPayload(f"{endpoint}: answer does not fit the API: {misfit.reason}") from None
        detail = f"{endpoint}: HTTP {status} {error_message(response, content)}"
        if status == 401:
            raise AuthenticationRejected(detail)
        if status >= 500 or status in TRANSIENT_STATUSES:
            raise BackendUnavailable(detail, retry_after=retry_after_seconds(response))
        if status in item_statuses:
            raise RequestRejected(detail, status)
        raise UnexpectedStatus(detail, status)


def item_json(item: OutboxItem) -> bytes:
    return json.dumps({"idempotency_key": item.idempotency_key, "type": item.kind, "chat_id": item.chat_id,
                       "body": item.body}, ensure_ascii=False, separators=(",", ":")).encode()


def batch_body(encoded_items: list[bytes]) -> bytes:
    return b'{"items":[' + b",".join(encoded_items) + b"]}"


def batches_within(items: list[OutboxItem], max_bytes: int) -> list[list[OutboxItem]]:
    """`items` in order, cut into runs whose request body stays within `max_bytes`; an item too large on its own
    goes alone (the server's 413 then rejects just that one)."""
    batches: list[list[OutboxItem]] = []
    size = max_bytes + 1
    for item in items:
        item_size = len(item_json(item)) + 1  # and its comma
        if size + item_size > max_bytes:
            batches.append([])
            size = len(batch_body([]))
        batches[-1].append(item)
        size += item_size
    return batches


def error_message(response: httpx.Response, content: bytes) -> str:
    try:
        return payloads.plain(str(json.loads(content)["error"]["message"]))
    except (ValueError, KeyError, TypeError, RecursionError):
        return payloads.plain(response.reason_phrase)


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Retry-After is either seconds or an HTTP date (RFC 9110 §10.2.3)."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


def remote_chat(chat: payloads.Chat) -> RemoteChat:
    known = payloads.customer_fields(chat)
    return RemoteChat(
        id=chat.id,
        customer_name=known.name,
        customer_title=known.title,
        vip=known.vip,
        channel=chat.channel,
        state=chat.state,
        priority=chat.priority,
        created_at=chat.created_at,
        updated_at=chat.updated_at,
        tags=tuple(chat.tags),
        # Masked by the server; kept for the customer panel (name, title and VIP have their own columns).
        profile={k: v for k, v in chat.customer.items() if k not in ("name", "title", "vip", "id")},
        customer_id=known.id,
    )


def remote_message(message: payloads.Message) -> RemoteMessage:
    return RemoteMessage(
        id=message.id,
        chat_id=message.chat_id,
        seq=message.seq,
        author=message.author,
        text=message.text,
        created_at=message.created_at,
        client_key=message.client_key,
        private=message.private,
        attachments=usable_attachments(message.attachments, f"message {message.id[:40]!r}"),
        transfer=transfer_of(message),
    )


def transfer_of(message: payloads.Message) -> tuple[str, str]:
    """(to, note) of the transfer a system line records; only a system line can be one."""
    if message.transfer is None or message.author != "system":
        return ()
    return message.transfer.to, message.transfer.note

