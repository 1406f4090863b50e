"""Wakes long-polling `GET /events` requests when the change log grows."""

from __future__ import annotations

import asyncio


class ChangeNotifier:
    def __init__(self) -> None:
        self._changed = asyncio.Event()
        self._listeners: list = []

    def notify(self, event_type: str = "", chat_id: str = "", author: str = "") -> None:
        # Swapping in a fresh Event wakes every current waiter exactly once and leaves later ones waiting.
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
        for listener in list(self._listeners):
            listener(event_type, chat_id, author)

    def subscribe(self, listener) -> None:
        """`listener(event_type, chat_id, author)` runs on the event loop after each change (the simulator)."""
        self._listeners.append(listener)

    def current(self) -> asyncio.Event:
        """Take this before checking the log, then wait on it: no change can slip between check and wait."""
        return self._changed
