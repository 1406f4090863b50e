"""Chatwoot's ActionCable (/cable, RoomChannel) as a doorbell for the polled change feed.

Chatwoot pushes events (message.created, conversation.status_changed, assignee.changed, ...) but replays nothing:
an event sent while the socket is down is gone. So an event is never taken as the truth, only as a reason to poll
at once; after every (re)connect the feed polls too, and while the socket is down it polls on its own clock. The
feed is therefore as complete as polling makes it and, while the socket is up, about as fast as Chatwoot pushes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random

import websockets

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

PROTOCOL = "actioncable-v1-json"
# ActionCable pings every 3 s: a socket silent for this long is dead even if TCP has not noticed.
SILENCE_LIMIT = 10.0
RECONNECT_CAP = 30.0


class CableDoorbell:
    def __init__(self, cable_url: str, identifier: dict, ring: asyncio.Event):
        self._url = cable_url
        self._identifier = json.dumps(identifier)
        self._ring = ring
        self.connected = False  # subscribed, and heard from within SILENCE_LIMIT
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self.connected = False

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                await self._listen()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as error:  # refused, reset, rejected: the feed polls meanwhile
                failures += 1
                log.info("chatwoot cable down (%s): %s", type(error).__name__, error)
            self.connected = False
            self._ring.set()  # whatever the socket missed, a poll brings
            await asyncio.sleep(random.uniform(0.5, 1.0) * min(RECONNECT_CAP, 2 ** min(failures, 5)))

    async def _listen(self) -> None:
        async with websockets.connect(self._url, subprotocols=[PROTOCOL], open_timeout=10,
                                      ping_interval=None, max_size=2**22) as socket:
            await socket.send(json.dumps({"command": "subscribe", "identifier": self._identifier}))
            while True:
                frame = json.loads(await asyncio.wait_for(socket.recv(), SILENCE_LIMIT))
                kind = frame.get("type")
                if kind == "confirm_subscription":
                    self.connected = True
                    self._ring.set()  # caught up from the last watermark by the poll this starts
                elif kind == "reject_subscription":
                    raise ConnectionRefusedError("RoomChannel refused the subscription (pubsub_token)")
                elif kind == "disconnect":
                    raise ConnectionResetError(f"the server closed the cable: {frame.get('reason')}")
                elif kind is None and isinstance(frame.get("message"), dict):
                    self._ring.set()  # an event: poll now
