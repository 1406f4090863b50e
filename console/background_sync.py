"""Runs a SyncEngine on its own thread and event loop, so network waits and fsyncs never stall the UI."""

from __future__ import annotations

import asyncio
import threading

from local_cache.sync_engine import SyncEngine


class BackgroundSync:
    def __init__(self, engine: SyncEngine, on_crash=lambda error: None):
        self.engine = engine
        self._on_crash = on_crash
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._started = threading.Event()
        # Daemon: a request stuck in the kernel must never keep the console from exiting.
        self._thread = threading.Thread(target=self._run, name="sync-engine", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()
        self._started.wait(5)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._task = loop.create_task(self.engine.run())
        self._started.set()
        try:
            loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except Exception as error:  # reported to the app: the thread must not die silently
            self.error = error
            self._on_crash(error)
        finally:
            loop.close()

    def wake(self) -> None:
        self.engine.wake()

    def stop(self, timeout: float = 3.0) -> None:
        if self._loop is not None and self._task is not None and not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(self._task.cancel)
            except RuntimeError:  # the loop closed between the check and the call
                pass
        self._thread.join(timeout)
