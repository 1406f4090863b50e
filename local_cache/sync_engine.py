"""The sync engine: pushes the outbox and pulls the change feed, through any BackendClient.

It owns its own LocalStore connection and runs on its own event loop (the console gives it a thread), so a
slow network or a long poll never blocks the UI. It reports through two callbacks, called on its thread:
`on_change(chat_ids)` after the store changed, and `on_status(SyncStatus)` when connectivity or depth changes.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Callable

from local_cache.backend_client import (
    AuthenticationRejected,
    BackendClient,
    BackendError,
    BackendUnavailable,
    CursorExpired,
    RequestRejected,
)
from local_cache.models import OutboxItem, SyncStatus
from local_cache.store import LocalStore

BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
AUTH_RETRY_SECONDS = 30.0


class ServerMismatch(BackendError):
    """The profile's cache belongs to another server and its outbox still holds unsent items."""


@dataclass(frozen=True)
class SyncReport:
    sent: int
    rejected: int
    waiting: int
    pulled_messages: int


def backoff_delay(attempts: int, retry_after: float | None = None, rng=random.random) -> float:
    """Exponential backoff with full jitter, capped; a server's Retry-After is a floor."""
    delay = rng() * min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return max(delay, retry_after or 0.0)


class SyncEngine:
    def __init__(
        self,
        open_store: Callable[[], LocalStore],
        open_client: Callable[[], BackendClient],
        *,
        on_change: Callable[[set[str]], None] = lambda chat_ids: None,
        on_status: Callable[[SyncStatus], None] = lambda status: None,
        long_poll_wait: float = 20.0,
    ):
        self._open_store, self._open_client = open_store, open_client
        self._on_change, self._on_status = on_change, on_status
        self._long_poll_wait = long_poll_wait
        self._loop: asyncio.AbstractEventLoop | None = None
        self._push_wanted: asyncio.Event | None = None
        self._online: bool | None = None  # None until the first attempt to reach the backend ends
        self._status_since = time.time()
        self._agent_name = ""
        self._detail = ""

    # --- long-running mode (the console) -----------------------------------------------------------

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._push_wanted = asyncio.Event()
        self.store = store = self._open_store()
        try:
            store.requeue_interrupted()
            self._report_status()
            self.client = client = self._open_client()  # may wait for an embedded backend to boot
            try:
                await self._connect_until_ready()
                await asyncio.gather(self._pull_loop(), self._push_loop())
            finally:
                await client.aclose()
        finally:
            store.close()

    def wake(self) -> None:
        """Thread-safe: the outbox has a new item, push now rather than at the next timer."""
        if self._loop is not None and self._push_wanted is not None:
            self._loop.call_soon_threadsafe(self._push_wanted.set)

    async def _connect_until_ready(self) -> None:
        failures = 0
        while True:
            try:
                await self._check_identity()
                await self._pull(wait=0)
                self._set_online(True)
                return
            except (BackendUnavailable, AuthenticationRejected, ServerMismatch) as error:
                failures += 1
                self._set_online(False, error.detail)
                await asyncio.sleep(self._retry_delay(error, failures))

    async def _pull_loop(self) -> None:
        failures = 0
        while True:
            try:
                await self._pull(wait=self._long_poll_wait)
                failures = 0
                if not self._online:
                    self._set_online(True)
                    self.store.make_due_now()
                    self._push_wanted.set()  # the backend is back: drain at once
            except (BackendUnavailable, AuthenticationRejected) as error:
                failures += 1
                self._set_online(False, error.detail)
                await asyncio.sleep(self._retry_delay(error, failures))

    async def _push_loop(self) -> None:
        while True:
            item = self.store.next_due()
            if item is None:
                self._push_wanted.clear()
                try:
                    await asyncio.wait_for(self._push_wanted.wait(), self.store.seconds_until_due())
                except asyncio.TimeoutError:
                    pass
                continue
            await self._push(item)

    def _retry_delay(self, error: BackendError, failures: int) -> float:
        if isinstance(error, AuthenticationRejected):
            return AUTH_RETRY_SECONDS
        return backoff_delay(failures, getattr(error, "retry_after", None)) + 0.2

    # --- one pass (headless `sync --once`) ---------------------------------------------------------------

    async def sync_once(self) -> SyncReport:
        self.store = store = self._open_store()
        self.client = client = self._open_client()
        try:
            store.requeue_interrupted()
            await self._check_identity()
            pulled = await self._pull(wait=0)
            sent = rejected = 0
            for item in [i for i in store.outbox_items() if i.state in ("queued", "sending")]:
                outcome = await self._push(item)
                if outcome == "unavailable":
                    break
                sent += outcome == "sent"
                rejected += outcome == "rejected"
            pulled += await self._pull(wait=0)
            return SyncReport(sent=sent, rejected=rejected, waiting=store.outbox_depth(), pulled_messages=pulled)
        finally:
            await client.aclose()
            store.close()

    # --- the two directions ------------------------------------------------------------------------------

    async def _check_identity(self) -> None:
        identity = await self.client.identity()
        self._agent_name = identity.agent_name
        known = self.store.get_meta("server_id")
        if known is not None and known != identity.server_id:
            if self.store.outbox_depth():
                raise ServerMismatch(
                    f"{self.store.path} belongs to server {known}, not {identity.server_id}, and still has "
                    "unsent items; use another --agent profile or --data-dir for this backend"
                )
            self.store.forget_server_data()
        self.store.set_meta("server_id", identity.server_id)
        self.store.set_meta("agent_name", identity.agent_name)

    async def _pull(self, wait: float) -> int:
        """Pull until caught up; returns how many messages arrived."""
        cursor = self.store.feed_cursor()
        if cursor is None:
            return await self._pull_snapshot()
        try:
            batch = await self.client.changes_after(cursor, wait)
        except CursorExpired:
            return await self._pull_snapshot()
        messages = list(batch.messages)
        for chat_id in {m.chat_id for m in messages}:
            # Fill any hole (a message we never saw) before applying what the feed brought.
            known, first = self.store.last_seq(chat_id), min(m.seq for m in messages if m.chat_id == chat_id)
            if first > known + 1:
                messages = await self.client.messages_after(chat_id, known) + messages
        self.store.apply_changes(batch.chats, messages, batch.cursor)
        changed = {c.id for c in batch.chats} | {m.chat_id for m in messages}
        if changed:
            self._on_change(changed)
        return len(messages)

    async def _pull_snapshot(self) -> int:
        snapshot = await self.client.snapshot()
        messages = []
        for chat in snapshot.chats:
            messages += await self.client.messages_after(chat.id, self.store.last_seq(chat.id))
        self.store.apply_changes(snapshot.chats, messages, snapshot.cursor)
        self._on_change({chat.id for chat in snapshot.chats})
        return len(messages)

    async def _push(self, item: OutboxItem) -> str:
        self.store.mark_sending(item)
        try:
            if item.kind == "message":
                result = await self.client.post_message(item.chat_id, item.body["text"], item.idempotency_key)
            else:
                result = await self.client.post_action(item.chat_id, item.body, item.idempotency_key)
        except RequestRejected as error:
            self.store.mark_rejected(item, error.detail)
            outcome = "rejected"
        except (BackendUnavailable, AuthenticationRejected) as error:
            retry_after = getattr(error, "retry_after", None)
            self.store.mark_retry(item, error.detail, backoff_delay(item.attempts + 1, retry_after))
            self._set_online(False, error.detail)
            outcome = "unavailable"
        else:
            self.store.mark_sent(item, result.message, result.chat)
            self._set_online(True)
            outcome = "sent"
        self._on_change({item.chat_id})
        self._report_status()
        return outcome

    # --- status ------------------------------------------------------------------------------------------

    def _set_online(self, online: bool, detail: str = "") -> None:
        if online != self._online:
            self._online = online
            self._status_since = time.time()
        self._detail = detail
        self._report_status()

    def _report_status(self) -> None:
        self._on_status(
            SyncStatus(
                online=self._online,
                since=self._status_since,
                outbox_depth=self.store.outbox_depth(),
                agent_name=self._agent_name or self.store.get_meta("agent_name") or "",
                detail=self._detail,
            )
        )
