"""ActionCable at /cable, as Chatwoot's RoomChannel speaks it (app/channels/room_channel.rb,
app/listeners/action_cable_listener.rb; framing: the actioncable-v1-json protocol).

Like Chatwoot, it replays nothing: an event while a socket is down is lost to that socket.
"""

from __future__ import annotations

import asyncio
import json
import time

from starlette.websockets import WebSocket, WebSocketDisconnect

from tests.fake_chatwoot import views
from tests.fake_chatwoot.state import ChatwootState, Conversation, Message

PROTOCOL = "actioncable-v1-json"
PING_SECONDS = 3  # ActionCable::Server::Connections::BEAT_INTERVAL


def event_data(state: ChatwootState, record, extra: dict) -> dict:
    """ActionCableListener#broadcast: the record's push_event_data plus account_id."""
    if isinstance(record, Message):
        data = views.push_event_data(state, record, state.conversations[record.conversation_id])
        if extra.get("echo_id"):
            data["echo_id"] = extra["echo_id"]
    elif isinstance(record, Conversation):
        data = views.conversation(state, record)
    else:
        data = dict(record)
    return {**data, "account_id": state.account_id}


async def cable(websocket: WebSocket) -> None:
    state: ChatwootState = websocket.app.state.chatwoot
    await websocket.accept(subprotocol=PROTOCOL if PROTOCOL in websocket.scope.get("subprotocols", []) else None)
    outbox: asyncio.Queue = asyncio.Queue()
    subscriptions: list[str] = []

    def listener(event: str, record, extra: dict) -> None:
        for identifier in subscriptions:
            outbox.put_nowait({"identifier": identifier,
                               "message": {"event": event, "data": event_data(state, record, extra)}})

    state.listeners.append(listener)
    state.sockets.append(websocket)
    await websocket.send_text(json.dumps({"type": "welcome"}))
    sender = asyncio.create_task(_send(websocket, outbox))
    try:
        while True:
            frame = json.loads(await websocket.receive_text())
            if frame.get("command") != "subscribe":
                continue
            identifier = frame.get("identifier", "")
            if _subscribable(state, identifier):
                subscriptions.append(identifier)
                outbox.put_nowait({"identifier": identifier, "type": "confirm_subscription"})
            else:  # RoomChannel#current_user: User.find_by!(pubsub_token:, id: user_id) raises
                outbox.put_nowait({"identifier": identifier, "type": "reject_subscription"})
    except (WebSocketDisconnect, RuntimeError, ValueError):
        pass
    finally:
        sender.cancel()
        state.listeners.remove(listener)
        state.sockets.remove(websocket)


def _subscribable(state: ChatwootState, identifier: str) -> bool:
    try:
        params = json.loads(identifier)
    except ValueError:
        return False
    return (params.get("channel") == "RoomChannel" and params.get("pubsub_token") == state.agent["pubsub_token"]
            and str(params.get("user_id")) == str(state.agent["id"])
            and str(params.get("account_id")) == str(state.account_id))


async def _send(websocket: WebSocket, outbox: asyncio.Queue) -> None:
    try:
        while True:
            try:
                frame = await asyncio.wait_for(outbox.get(), PING_SECONDS)
            except asyncio.TimeoutError:
                frame = {"type": "ping", "message": int(time.time())}
            await websocket.send_text(json.dumps(frame))
    except Exception:  # noqa: BLE001  (the socket went away; the receive loop ends the connection)
        pass


async def drop_all(state: ChatwootState) -> int:
    """Close every open /cable socket (the test's 'network blip'); returns how many."""
    sockets = list(state.sockets)
    for websocket in sockets:
        try:
            await websocket.close(code=1011)  # the server went away mid-stream
        except Exception:  # noqa: BLE001  (already closing)
            pass
    return len(sockets)
