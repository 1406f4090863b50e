"""BackendClient for the reference API (docs/api.md), over httpx."""

from __future__ import annotations

import asyncio
import time
from email.utils import parsedate_to_datetime

import httpx

from local_cache.backend_client import (
    AuthenticationRejected,
    BackendUnavailable,
    ChangeBatch,
    CursorExpired,
    Delivery,
    Identity,
    RequestRejected,
    Snapshot,
)
from local_cache.models import OutboxItem, RemoteChat, RemoteMessage

TRANSIENT_STATUSES = {408, 409, 425, 429}
BATCH_LIMIT = 100  # the reference API's maximum items per POST /batch
REQUEST_DEADLINE = 15.0  # whole request; httpx's own timeouts are per phase and per chunk
# The change feed asks for a space every HEARTBEAT s while it waits; a read that hears nothing for
# SILENCE_LIMIT s means the server stopped answering (frozen, or the network dropped), not a quiet feed.
HEARTBEAT = 1.0
CONNECT_TIMEOUT = 5.0
SILENCE_LIMIT = 3.5


class ReferenceApiClient:
    def __init__(self, base_url: str, token: str, *, deadline: float = REQUEST_DEADLINE, transport=None):
        self._deadline = deadline
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(deadline, connect=CONNECT_TIMEOUT),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def identity(self) -> Identity:
        body = await self._request("GET", "/me")
        return Identity(agent_name=body["agent"]["name"], server_id=body["server_id"])

    async def snapshot(self) -> Snapshot:
        body = await self._request("GET", "/chats")
        return Snapshot(chats=[chat_from_json(c) for c in body["chats"]], cursor=body["cursor"])

    async def messages_after(self, chat_id: str, after_seq: int) -> list[RemoteMessage]:
        messages: list[RemoteMessage] = []
        while True:
            body = await self._request("GET", f"/chats/{chat_id}/messages", params={"after": after_seq})
            page = [message_from_json(m) for m in body["messages"]]
            messages.extend(page)
            if not body["has_more"] or not page:
                return messages
            after_seq = page[-1].seq

    async def customer_profile(self, chat_id: str) -> dict:
        body = await self._request("GET", f"/chats/{chat_id}/customer")
        return body.get("customer") or {}

    async def changes_after(self, cursor: int, wait: float) -> ChangeBatch:
        params = {"after": cursor, "wait": wait, **({"heartbeat": HEARTBEAT} if wait else {})}
        body = await self._request("GET", "/events", params=params, deadline=wait + self._deadline,
                                   silence_limit=SILENCE_LIMIT)
        chats: dict[str, RemoteChat] = {}
        messages: list[RemoteMessage] = []
        for event in body["events"]:
            if event.get("chat"):
                chats[event["chat"]["id"]] = chat_from_json(event["chat"])
            if event.get("message"):
                messages.append(message_from_json(event["message"]))
        return ChangeBatch(chats=list(chats.values()), messages=messages, cursor=body["cursor"])

    batch_limit = BATCH_LIMIT

    def replace_token(self, token: str) -> None:
        self._http.headers["Authorization"] = f"Bearer {token}"

    async def deliver(self, items: list[OutboxItem]) -> list[Delivery]:
        try:
            body = await self._request("POST", "/batch", json={"items": [
                {"idempotency_key": i.idempotency_key, "type": i.kind, "chat_id": i.chat_id, "body": i.body}
                for i in items
            ]})
        except RequestRejected as error:
            if len(items) > 1:
                # The whole request was refused and we cannot tell for which item: try the first on its own.
                return await self.deliver(items[:1])
            return [Delivery(items[0].idempotency_key, False, error=error.detail.split(": ", 1)[-1])]
        deliveries = []
        for item, result in zip(items, body["results"]):
            status, answer = result["status"], result["body"]
            if status < 300:
                deliveries.append(Delivery(
                    item.idempotency_key, True,
                    message=message_from_json(answer["message"]) if "message" in answer else None,
                    chat=chat_from_json(answer["chat"]) if "chat" in answer else None,
                ))
            elif status >= 500 or status in TRANSIENT_STATUSES:
                break  # this item and the ones behind it are retried later, in order
            else:
                error = (answer.get("error") or {}).get("message", "")
                deliveries.append(Delivery(item.idempotency_key, False, error=f"HTTP {status} {error}"))
        if not deliveries:
            raise BackendUnavailable("POST /batch: the first item could not be applied now")
        return deliveries

    async def _request(self, method: str, path: str, *, deadline: float | None = None,
                       silence_limit: float | None = None, **kwargs) -> dict:
        if silence_limit is not None:  # httpx's read timeout is the longest wait for the next chunk
            kwargs["timeout"] = httpx.Timeout(silence_limit, connect=CONNECT_TIMEOUT)
        try:
            async with asyncio.timeout(deadline or self._deadline):
                response = await self._http.request(method, path, **kwargs)
        except TimeoutError:
            raise BackendUnavailable(f"{method} {path}: no complete answer within the deadline") from None
        except httpx.HTTPError as error:
            # str(error) never includes request headers, so the token cannot leak through it.
            raise BackendUnavailable(f"{method} {path}: {type(error).__name__}: {error}") from None
        status = response.status_code
        if status < 300:
            try:
                return response.json()
            except ValueError:
                raise BackendUnavailable(f"{method} {path}: answer is not JSON") from None
        detail = f"{method} {path}: HTTP {status} {error_message(response)}"
        if status == 401:
            raise AuthenticationRejected(detail)
        if status == 410:
            raise CursorExpired(detail)
        if status >= 500 or status in TRANSIENT_STATUSES:
            raise BackendUnavailable(detail, retry_after=retry_after_seconds(response))
        raise RequestRejected(detail, status)


def error_message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.reason_phrase


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


def chat_from_json(data: dict) -> RemoteChat:
    customer = data.get("customer") or {}
    return RemoteChat(
        id=data["id"],
        customer_name=customer.get("name", ""),
        customer_title=customer.get("title", ""),
        vip=bool(customer.get("vip", False)),
        channel=data.get("channel", ""),
        state=data.get("state", "opened"),
        priority=data.get("priority", "normal"),
        created_at=float(data["created_at"]),
        updated_at=float(data["updated_at"]),
        tags=tuple(str(tag) for tag in data.get("tags") or ()),
        # Masked by the server; kept for the customer panel (name, title and VIP have their own columns).
        profile={k: v for k, v in customer.items() if k not in ("name", "title", "vip")},
    )


def message_from_json(data: dict) -> RemoteMessage:
    return RemoteMessage(
        id=data["id"],
        chat_id=data["chat_id"],
        seq=int(data["seq"]),
        author=data["author"],
        text=data["text"],
        created_at=float(data["created_at"]),
        client_key=data.get("client_key"),
    )
