"""HTTP routes of the reference backend. The contract is written down in docs/api.md."""

from __future__ import annotations

import asyncio
import hmac
import json
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from backend.agent_writes import perform, valid_text
from backend.api_errors import ApiError
from backend.attachments import checked_attachments, valid_content, with_absolute_urls
from backend.change_feed import ChangeNotifier
from backend.orders import checked_order, masked_order
from backend.request_limits import (
    MAX_SQLITE_INTEGER,
    capped_text,
    checked_profile,
    read_json_object,
    within_page_bytes,
)
from backend.store import BackendStore

MAX_WAIT_SECONDS = 30.0
MIN_HEARTBEAT = 0.5  # s: below this the heartbeats would cost more than the poll they keep alive
MAX_BATCH_ITEMS = 100


def create_app(
    store: BackendStore,
    *,
    agent_token: str,
    agent_name: str,
    channel_token: str | None = None,
    notifier: ChangeNotifier | None = None,
) -> Starlette:
    notifier = notifier or ChangeNotifier()

    def require_token(request: Request, expected: str | None) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, presented = header.partition(" ")
        if expected is None or scheme.lower() != "bearer" or not hmac.compare_digest(
            presented.strip().encode(), expected.encode()
        ):
            raise ApiError(401, "unauthorized", "missing or invalid bearer token")

    def existing_chat(chat_id: str) -> dict:
        chat = store.chat(chat_id)
        if chat is None:
            raise ApiError(404, "no_such_chat", f"no chat {chat_id}")
        return chat

    def agent_write(kind: str, chat_id: str, body: dict, key: str) -> JSONResponse:
        response, replayed = perform(store, kind, chat_id, body, key)
        if not replayed:
            notifier.notify("message.created" if kind == "message" else "chat.updated", chat_id, "agent")
        headers = {"Idempotent-Replayed": "true"} if replayed else None
        return JSONResponse(response.body, response.status, headers=headers)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "server_id": store.server_id})

    async def me(request: Request) -> JSONResponse:
        require_token(request, agent_token)
        return JSONResponse({"agent": {"name": agent_name}, "server_id": store.server_id})

    async def list_chats(request: Request) -> JSONResponse:
        require_token(request, agent_token)
        # Cursor first, then chats: a change landing in between is seen twice, never missed.
        cursor = store.current_cursor()
        return JSONResponse({"chats": store.chats(), "cursor": cursor})

    async def list_messages(request: Request) -> JSONResponse:
        require_token(request, agent_token)
        existing_chat(request.path_params["chat_id"])
        after = int_param(request, "after", 0, minimum=0, maximum=MAX_SQLITE_INTEGER)
        limit = int_param(request, "limit", 200, minimum=1, maximum=1000)
        messages = store.messages_after(request.path_params["chat_id"], after, limit + 1)
        page = within_page_bytes(messages[:limit])
        return JSONResponse({"messages": [with_absolute_urls(message, str(request.base_url)) for message in page],
                             "has_more": len(messages) > len(page)})

    async def customer_profile(request: Request) -> JSONResponse:
        """The only way personal numbers leave the server in clear: the agent asked to reveal them."""
        require_token(request, agent_token)
        chat_id = request.path_params["chat_id"]
        existing_chat(chat_id)
        return JSONResponse({"customer": store.customer_profile(chat_id), "orders": store.orders.of_chat(chat_id)})

    async def chat_orders(request: Request) -> JSONResponse:
        require_token(request, agent_token)
        chat_id = request.path_params["chat_id"]
        existing_chat(chat_id)
        return JSONResponse({"orders": [masked_order(order) for order in store.orders.of_chat(chat_id)]})

    async def one_order(request: Request) -> JSONResponse:
        require_token(request, agent_token)
        order_no = request.path_params["order_no"]
        order = store.orders.get(order_no)
        if order is None:
            raise ApiError(404, "no_such_order", f"no order {order_no[:40]}")
        return JSONResponse({"order": masked_order(order)})

    async def events(request: Request):
        require_token(request, agent_token)
        after = int_param(request, "after", 0, minimum=0, maximum=MAX_SQLITE_INTEGER)
        wait = min(float_param(request, "wait", 0.0), MAX_WAIT_SECONDS)
        heartbeat = float_param(request, "heartbeat", 0.0)
        if heartbeat and not MIN_HEARTBEAT <= heartbeat <= MAX_WAIT_SECONDS:
            raise ApiError(400, "bad_request", f"heartbeat must be 0 or {MIN_HEARTBEAT}-{MAX_WAIT_SECONDS} seconds")
        if heartbeat and wait and not store.events_after(after, 1):
            # Nothing yet: commit to 200 and keep the line alive while waiting, so a client can tell a quiet
            # feed (a space every `heartbeat` seconds) from a server that stopped answering (silence).
            return StreamingResponse(feed_with_heartbeat(after, wait, heartbeat, str(request.base_url)),
                                     media_type="application/json")
        return JSONResponse(await next_events(after, wait, base_url=str(request.base_url)))

    async def next_events(after: int, wait: float, beat: float | None = None, *, base_url: str) -> dict:
        """The events after `after`, waiting up to `wait` s for the first; with `beat`, returns None each time
        `beat` s pass with nothing (the caller writes a heartbeat and asks again)."""
        deadline = time.monotonic() + wait
        while True:
            changed = notifier.current()
            batch = within_page_bytes(store.events_after(after))
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0:
                for event in batch:
                    if "message" in event:
                        event["message"] = with_absolute_urls(event["message"], base_url)
                return {"events": batch, "cursor": batch[-1]["cursor"] if batch else max(after, 0)}
            try:
                await asyncio.wait_for(changed.wait(), min(remaining, beat or remaining))
            except asyncio.TimeoutError:
                if beat:
                    return None

    async def feed_with_heartbeat(after: int, wait: float, heartbeat: float, base_url: str):
        deadline = time.monotonic() + wait
        while (answer := await next_events(after, max(0.0, deadline - time.monotonic()), heartbeat,
                                           base_url=base_url)) is None:
            yield b" "  # JSON allows leading whitespace: the body still parses as one document
        yield json.dumps(answer, ensure_ascii=False).encode()

    async def post_agent_message(request: Request) -> JSONResponse:
        require_token(request, agent_token)
        body = await read_json_object(request)
        key = request.headers.get("idempotency-key", "")
        return agent_write("message", request.path_params["chat_id"], body, key)

    async def post_action(request: Request) -> JSONResponse:
        require_token(request, agent_token)
        body = await read_json_object(request)
        key = request.headers.get("idempotency-key", "")
        return agent_write("action", request.path_params["chat_id"], body, key)

    async def post_batch(request: Request) -> JSONResponse:
        """Items are applied in order, each exactly as its single endpoint would; one failing item does not
        stop the others (its result carries the error)."""
        require_token(request, agent_token)
        items = (await read_json_object(request)).get("items")
        if not isinstance(items, list) or not 0 < len(items) <= MAX_BATCH_ITEMS:
            raise ApiError(400, "bad_batch", f"items must be a list of 1-{MAX_BATCH_ITEMS} objects")
        results, changed = [], []
        for item in items:
            item = item if isinstance(item, dict) else {}
            key, kind, chat_id = item.get("idempotency_key"), item.get("type"), item.get("chat_id")
            try:
                response, replayed = perform(store, kind, chat_id, item.get("body"), key)
            except ApiError as error:
                results.append({"idempotency_key": key, "status": error.status, "body": error.body()})
                continue
            results.append({"idempotency_key": key, "status": response.status, "body": response.body,
                            "replayed": replayed})
            if not replayed:
                changed.append(("message.created" if kind == "message" else "chat.updated", chat_id))
        for event_type, chat_id in changed:
            notifier.notify(event_type, chat_id, "agent")
        return JSONResponse({"results": results})

    async def channel_open_chat(request: Request) -> JSONResponse:
        require_token(request, channel_token)
        body = await read_json_object(request)
        customer = body.get("customer") or {}
        if not isinstance(customer, dict) or not isinstance(customer.get("name"), str) or not customer["name"]:
            raise ApiError(422, "invalid_customer", "customer.name is required")
        chat = store.open_chat(
            capped_text(customer, "name", "customer.", ""),
            capped_text(body, "channel", "", "web"),
            customer_title=capped_text(customer, "title", "customer.", ""),
            vip=bool(customer.get("vip", False)),
            language=capped_text(body, "language", "", "zh"),
            profile=checked_profile(customer),
            customer_id=capped_text(customer, "id", "customer.", ""),
        )
        notifier.notify("chat.created", chat["id"], "customer")
        return JSONResponse({"chat": chat}, 201)

    async def channel_customer_message(request: Request) -> JSONResponse:
        require_token(request, channel_token)
        chat_id = request.path_params["chat_id"]
        body = await read_json_object(request)
        existing_chat(chat_id)
        attachments = checked_attachments(body)
        message = store.add_message(chat_id, "customer", valid_content(body, attachments, valid_text),
                                    attachments=attachments)
        notifier.notify("message.created", chat_id, "customer")
        return JSONResponse({"message": message}, 201)

    async def channel_list_messages(request: Request) -> JSONResponse:
        """The chat as its customer sees it: agents' internal notes are never part of it."""
        require_token(request, channel_token)
        chat_id = request.path_params["chat_id"]
        existing_chat(chat_id)
        after = int_param(request, "after", 0, minimum=0, maximum=MAX_SQLITE_INTEGER)
        limit = int_param(request, "limit", 200, minimum=1, maximum=1000)
        messages = store.customer_visible_after(chat_id, after, limit + 1)
        page = within_page_bytes(messages[:limit])
        return JSONResponse({"messages": page, "has_more": len(messages) > len(page)})

    async def channel_add_order(request: Request) -> JSONResponse:
        require_token(request, channel_token)
        chat_id = request.path_params["chat_id"]
        body = await read_json_object(request)
        existing_chat(chat_id)
        try:
            order = store.orders.add(chat_id, checked_order(body))
        except KeyError:
            raise ApiError(422, "order_exists", "an order with this number exists already") from None
        return JSONResponse({"order": masked_order(order)}, 201)

    async def served_file(request: Request) -> Response:
        """A file this server holds (the simulator's photos): no bearer token, the unguessable token is the key.
        Served as the type it was stored with, never sniffed, and offered to show inline."""
        found = store.file(request.path_params["token"])
        if found is None:
            return Response(b"no such file\n", 404, media_type="text/plain")
        return Response(found["content"], 200, media_type=found["type"], headers={
            "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600",
            "Content-Security-Policy": "sandbox"})

    def guarded(endpoint):
        async def run(request: Request) -> JSONResponse:
            try:
                return await endpoint(request)
            except ApiError as error:
                return JSONResponse(error.body(), status_code=error.status)

        return run

    routes = [
        Route("/api/v1/health", guarded(health)),
        Route("/api/v1/me", guarded(me)),
        Route("/api/v1/chats", guarded(list_chats)),
        Route("/api/v1/chats/{chat_id}/messages", guarded(list_messages), methods=["GET"]),
        Route("/api/v1/chats/{chat_id}/messages", guarded(post_agent_message), methods=["POST"]),
        Route("/api/v1/chats/{chat_id}/customer", guarded(customer_profile), methods=["GET"]),
        Route("/api/v1/chats/{chat_id}/orders", guarded(chat_orders), methods=["GET"]),
        Route("/api/v1/orders/{order_no}", guarded(one_order), methods=["GET"]),
        Route("/api/v1/chats/{chat_id}/actions", guarded(post_action), methods=["POST"]),
        Route("/api/v1/batch", guarded(post_batch), methods=["POST"]),
        Route("/api/v1/events", guarded(events)),
        Route("/api/v1/channel/chats", guarded(channel_open_chat), methods=["POST"]),
        Route("/api/v1/channel/chats/{chat_id}/messages", guarded(channel_customer_message), methods=["POST"]),
        Route("/api/v1/channel/chats/{chat_id}/messages", guarded(channel_list_messages), methods=["GET"]),
        Route("/api/v1/channel/chats/{chat_id}/orders", guarded(channel_add_order), methods=["POST"]),
        Route("/files/{token}/{name}", served_file, methods=["GET", "HEAD"]),
    ]
    app = Starlette(routes=routes)
    app.state.store = store
    app.state.notifier = notifier
    return app


def int_param(request: Request, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
    raw = request.query_params.get(name)
    try:
        value = default if raw is None else int(raw)
    except ValueError:
        raise ApiError(400, "bad_parameter", f"{name} must be an integer") from None
    if value < minimum or (maximum is not None and value > maximum):
        raise ApiError(400, "bad_parameter", f"{name} out of range")
    return value


def float_param(request: Request, name: str, default: float) -> float:
    raw = request.query_params.get(name)
    try:
        value = default if raw is None else float(raw)
    except ValueError:
        raise ApiError(400, "bad_parameter", f"{name} must be a number") from None
    if not value >= 0:
        raise ApiError(400, "bad_parameter", f"{name} must be >= 0")
    return value
