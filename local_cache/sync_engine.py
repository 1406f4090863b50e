"""The sync engine: pushes the outbox and pulls the change feed, through any BackendClient.

It owns its own LocalStore connection and runs on its own event loop (the console gives it a thread), so a
slow network or a long poll never blocks the UI. It reports through two callbacks, called on its thread:
`on_change(chat_ids)` after the store changed, and `on_status(SyncStatus)` when connectivity or depth changes.

Failure handling (docs/api.md lists the statuses):
- transient (connection refused or reset, timeouts, 5xx, 408, 409, 425, 429): the same items, with the same
  keys and bodies, are retried with capped exponential backoff and full jitter, honouring Retry-After;
- 401: sync pauses, nothing is dropped, until `replace_token()` is called (the agent signed in again);
- any other 4xx: that item is rejected and the items behind it go on.
"""

from __future__ import annotations

import asyncio
import random
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Callable

from local_cache.backend_client import (
    AuthenticationRejected,
    BackendClient,
    BackendError,
    BackendUnavailable,
    CursorExpired,
)
from local_cache.models import SyncStatus
from local_cache.push_lock import PushLock
from local_cache.store import LocalStore

BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
# While the backend cannot be reached, the feed asks again at most this far apart (a quick `wait=0` pull, not a
# long poll), so the console says "online" within a second or two of it coming back. Asking costs a refused
# connection or one small request; the outbox's own retries keep their longer backoff.
RECONNECT_PROBE_CAP = 1.0
LOCK_RETRY_SECONDS = 1.0
AUTH_REQUIRED = "sign-in needed: the backend refused the token (401)"


class ServerMismatch(BackendError):
    """The profile's cache belongs to another server and its outbox still holds unsent items."""


@dataclass(frozen=True)
class SyncReport:
    sent: int
    rejected: int
    waiting: int
    pulled_messages: int
    pushed_elsewhere: bool = False  # another process held the push lock


def backoff_delay(attempts: int, retry_after: float | None = None, rng=random.random) -> float:
    """Exponential backoff with full jitter, capped; a server's Retry-After is a floor."""
    delay = rng() * min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return max(delay, retry_after or 0.0)


def reconnect_delay(failures: int, retry_after: float | None = None, rng=random.random) -> float:
    """How long the feed waits before asking an unreachable backend again: backoff with jitter, capped low."""
    return max(0.2 + rng() * min(RECONNECT_PROBE_CAP - 0.2, BACKOFF_BASE * 2 ** max(0, failures - 1)),
               retry_after or 0.0)


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
        self._signed_in: asyncio.Event | None = None  # cleared while the backend refuses our token
        self._online: bool | None = None  # None until the first attempt to reach the backend ends
        self._status_since = time.time()
        self._agent_name = ""
        self._detail = ""
        self.lock: PushLock | None = None

    # --- long-running mode (the console, `agent-console sync`) --------------------------------------------

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._push_wanted, self._signed_in = asyncio.Event(), asyncio.Event()
        self._signed_in.set()
        self.store = store = self._open_store()
        self.lock = PushLock(store.path)
        try:
            self._report_status()
            self.client = client = self._open_client()  # may wait for an embedded backend to boot
            try:
                await self._connect_until_ready()
                await asyncio.gather(self._pull_loop(), self._push_loop())
            finally:
                await client.aclose()
        finally:
            self.lock.release()
            store.close()

    def wake(self) -> None:
        """Thread-safe: the outbox has a new item, push now rather than at the next timer."""
        if self._loop is not None and self._push_wanted is not None:
            self._loop.call_soon_threadsafe(self._push_wanted.set)

    def replace_token(self, token: str) -> None:
        """Thread-safe: the agent signed in again; resume with the new token."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._resume_with, token)

    def _resume_with(self, token: str) -> None:
        self.client.replace_token(token)
        self._detail = "reconnecting"
        self._signed_in.set()
        self._push_wanted.set()
        self._report_status()

    async def _connect_until_ready(self) -> None:
        failures = 0
        while True:
            try:
                await self._check_identity()
                await self._pull(wait=0)
                self._set_online(True)
                return
            except AuthenticationRejected:
                await self._wait_for_sign_in()
            except (BackendUnavailable, ServerMismatch) as error:
                failures += 1
                self._set_online(False, error.detail)
                await asyncio.sleep(reconnect_delay(failures, getattr(error, "retry_after", None)))

    async def _wait_for_sign_in(self) -> None:
        self._signed_in.clear()
        self._set_online(False, AUTH_REQUIRED)
        await self._signed_in.wait()

    async def _pull_loop(self) -> None:
        failures = 0
        while True:
            await self._signed_in.wait()
            try:
                # Offline, a long poll would hold the answer back: probe with a quick pull instead.
                await self._pull(wait=self._long_poll_wait if self._online else 0)
                failures = 0
                if not self._online:
                    self._set_online(True)
                    self.store.make_due_now()
                    self._push_wanted.set()  # the backend is back: drain at once
            except AuthenticationRejected:
                await self._wait_for_sign_in()
            except BackendUnavailable as error:
                failures += 1
                self._set_online(False, error.detail)
                await asyncio.sleep(reconnect_delay(failures, error.retry_after))

    async def _push_loop(self) -> None:
        while True:
            await self._signed_in.wait()
            if not self.hold_push_lock():
                await self._wait_for_push(LOCK_RETRY_SECONDS)
                continue
            try:
                settled = await self.push_once()
            except AuthenticationRejected:
                await self._wait_for_sign_in()
                continue
            except BackendUnavailable:
                settled = 0  # push_once scheduled the retry; wait for it below
            if settled == 0:
                await self._wait_for_push(self.store.seconds_until_due())

    async def _wait_for_push(self, timeout: float | None) -> None:
        self._push_wanted.clear()
        try:
            await asyncio.wait_for(self._push_wanted.wait(), timeout)
        except asyncio.TimeoutError:
            pass

    def hold_push_lock(self) -> bool:
        if self.lock.held:
            return True
        if not self.lock.try_acquire():
            return False
        # We hold the only right to push: rows left in 'sending' belong to a process that died.
        self.store.requeue_interrupted()
        return True

    # --- one pass (headless `sync --once`, `send --wait`) ----------------------------------------------------

    @asynccontextmanager
    async def session(self):
        """Open the store, the client and the (not yet taken) push lock for one-shot use; close them after."""
        self.store = store = self._open_store()
        self.lock = PushLock(store.path)
        self.client = client = self._open_client()
        try:
            yield self
        finally:
            self.lock.release()
            await client.aclose()
            store.close()

    async def sync_once(self, lock_wait: float = 10.0, drain_for: float = 30.0) -> SyncReport:
        """Pull, push the whole outbox (retrying transient failures for up to `drain_for` seconds), pull again.

        If another process holds the push lock for `lock_wait` seconds, it is the one sending: only pull.
        """
        async with self.session():
            store = self.store
            await self._check_identity()
            pulled = await self._pull(wait=0)
            sent = rejected = 0
            deadline = time.monotonic() + lock_wait
            while not self.hold_push_lock() and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            if self.lock.held:
                store.make_due_now()
                before = {i.idempotency_key: i.state for i in store.outbox_items()}
                await self._drain(time.monotonic() + drain_for)
                after = {i.idempotency_key: i.state for i in store.outbox_items()}
                sent = sum(1 for k, s in after.items() if s == "sent" and before.get(k) != "sent")
                rejected = sum(1 for k, s in after.items() if s == "rejected" and before.get(k) != "rejected")
            pulled += await self._pull(wait=0)
            return SyncReport(
                sent=sent, rejected=rejected, waiting=store.outbox_depth(), pulled_messages=pulled,
                pushed_elsewhere=not self.lock.held,
            )

    async def _drain(self, deadline: float) -> None:
        while self.store.outbox_depth() and time.monotonic() < deadline:
            try:
                if await self.push_once():
                    continue
            except BackendUnavailable:
                pass
            wait = self.store.seconds_until_due()
            await asyncio.sleep(min(wait if wait is not None else 0.0, max(0.0, deadline - time.monotonic())))

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
        """Apply the next batch of changes; returns how many messages arrived."""
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

    async def push_once(self) -> int:
        """Deliver the next run of due items; returns how many were settled (sent or rejected).

        Raises BackendUnavailable (after scheduling the retry) or AuthenticationRejected (items stay queued).
        """
        items = self.store.due_items(self.client.batch_limit)
        if not items:
            return 0
        self.store.mark_sending(items)
        try:
            deliveries = await self.client.deliver(items)
        except BackendUnavailable as error:
            self.store.mark_retry(items, error.detail, backoff_delay(items[0].attempts + 1, error.retry_after))
            self._set_online(False, error.detail)
            self._report_change(items)
            raise
        except AuthenticationRejected as error:
            self.store.mark_retry(items, error.detail, 0.0)
            raise
        self.store.apply_deliveries(items, deliveries)
        undelivered = items[len(deliveries):]  # the backend stopped partway: the rest waits its turn again
        if undelivered:
            self.store.mark_retry(undelivered, "not applied yet", backoff_delay(undelivered[0].attempts + 1))
        self._set_online(True)
        kinds = {item.idempotency_key: item.kind for item in items}
        if any(not d.accepted and kinds[d.idempotency_key] == "action" for d in deliveries):
            await self._pull_snapshot()  # undo the rejected action's optimistic effect with the server's truth
        self._report_change(items)
        return len(deliveries)

    def _report_change(self, items) -> None:
        self._on_change({item.chat_id for item in items})
        self._report_status()

    # --- status ------------------------------------------------------------------------------------------

    def _set_online(self, online: bool, detail: str = "") -> None:
        if online != self._online:
            self._online = online
            self._status_since = time.time()
        self._detail = detail
        self._report_status()

    def _report_status(self) -> None:
        lock, depth = self.lock, self.store.outbox_depth()
        self._on_status(
            SyncStatus(
                online=self._online,
                since=self._status_since,
                outbox_depth=depth,
                agent_name=self._agent_name or self.store.get_meta("agent_name") or "",
                detail=self._detail,
                pushed_elsewhere=lock is not None and not lock.held and depth > 0,
                auth_required=self._signed_in is not None and not self._signed_in.is_set(),
            )
        )
