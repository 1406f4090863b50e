"""A SyncEngine running on its own thread and loop, as the console runs it, for tests that watch it live: the
statuses it reported (with their times) and the chats it said changed."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

from local_cache.sync_engine import SyncEngine


class RunningEngine:
    def __init__(self, engine: SyncEngine):
        self.engine = engine
        self.statuses: list[tuple[float, bool | None]] = []
        self.changed: list[set[str]] = []
        engine._on_status = lambda status: self.statuses.append((time.monotonic(), status.online))
        engine._on_change = self.changed.append
        self._loop = asyncio.new_event_loop()
        self._task = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        self._task = self._loop.create_task(self.engine.run())
        with contextlib.suppress(asyncio.CancelledError):
            self._loop.run_until_complete(self._task)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(10)

    @property
    def online(self) -> bool | None:
        return self.statuses[-1][1] if self.statuses else None

    def wait_for(self, online: bool, timeout: float) -> float:
        start = time.monotonic()
        while self.online is not online:
            if time.monotonic() - start > timeout:
                raise AssertionError(f"not {'online' if online else 'offline'} after {timeout} s: {self.statuses}")
            time.sleep(0.02)
        return time.monotonic() - start
