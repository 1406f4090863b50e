"""The sync engine: pushes the outbox and pulls the change feed, through any BackendClient.

It owns its own LocalStore connection and runs on its own event loop (the console gives it a thread), so a
slow network or a long poll never blocks the UI. It reports through two callbacks, called on its thread:
`on_change(chat_ids)` after the store changed, and `on_status(SyncStatus)` when connectivity or depth changes.

It is supervised: nothing ends `run()` but cancellation (the console quitting). Every failure is classified
(docs/api.md lists the statuses):
- transient (connection refused or reset, timeouts, 5xx, 408, 409, 425, 429): the same items, with the same
  keys and bodies, are retried with capped exponential backoff and full jitter, honouring Retry-After; the
  status reads offline;
- 401: sync pauses, nothing is dropped, until `replace_token()` is called (the agent signed in again);
- an item the backend refuses (400, 413, 422 for it): that item is rejected and the items behind it go on;
- anything else (an answer that does not fit the API, a status the endpoint never gives, another server's
  data, the local store failing, a bug): logged with the endpoint, reported as degraded with a short reason
  (the status reads offline, so nobody trusts a feed that is not flowing), and tried again with backoff.
"""

from __future__ import annotations

import asyncio
import logging
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
    UnexpectedStatus,
)
from local_cache.database import StoreError
from local_cache.models import SyncStatus
from local_cache.push_lock import PushLock
from local_cache.store import LocalStore

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())  # a library: whoever runs the engine decides where its log goes

BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
# While the backend cannot be reached, the feed asks again at most this far apart (a quick `wait=0` pull, not a
# long poll), so the console says "online" within a second or two of it coming back. Asking costs a refused
# connection or one small request; the outbox's own retries keep their longer backoff.
RECONNECT_PROBE_CAP = 1.0
LOCK_RETRY_SECONDS = 1.0
# Messages indexed for history search after each quiet long poll: ~10-30 ms of the engine's loop, when nothing
# waits on it (local_cache/history_search.py indexes the rest when a search needs them).
INDEX_WHEN_QUIET = 500
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


def backoff_delay(attempts: int, retry_after: float | None = None, rng=random.random,
                  cap: float = BACKOFF_CAP) -> float:
    """Exponential backoff with full jitter, capped; a server's Retry-After is a floor."""
    delay = rng() * min(cap, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return max(delay, retry_after or 0.0)


def reconnect_delay(failures: int, retry_after: float | None = None, rng=random.random) -> float:
    """How long the feed waits before asking an unreachable backend again: backoff with jitter, capped low."""
    return max(0.2 + rng() * min(RECONNECT_PROBE_CAP - 0.2, BACKOFF_BASE * 2 ** max(0, failures - 1)),
               retry_after or 0.0)


def problem_delay(failures: int, cap: float = BACKOFF_CAP, rng=random.random) -> float:
    """How long to wait before trying again after a non-transient problem: backoff with half jitter, so a
    server that keeps answering nonsense is never asked in a tight loop."""
    delay = min(cap, BACKOFF_BASE * 2 ** max(0, failures - 1))
    return delay / 2 + rng() * delay / 2


def describe(error: BaseException) -> str:
    """A short reason for the status line: backend errors name their endpoint, store errors their file; anything
    else is a bug, named by its type only (its text may quote untrusted data; the log has the traceback)."""
    if isinstance(error, (BackendError, StoreError)):
        return getattr(error, "detail", None) or str(error)
    return f"internal error ({type(error).__name__}); see the log"


class SyncEngine:
    def __init__(
        self,
        open_store: Callable[[], LocalStore],
        open_client: Callable[[], BackendClient],
        *,
        on_change: Callable[[set[str]], None] = lambda chat_ids: None,
        on_status: Callable[[SyncStatus], None] = lambda status: None,
        long_poll_wait: float = 20.0,
        retry_cap: float = BACKOFF_CAP,
        fail_fast: bool = False,
    ):
        """`retry_cap`: the longest wait between two attempts after a failure (tests make it short).
        `fail_fast`: a problem other than an unreachable backend before the first successful contact ends
        `run()` with that error (a misconfiguration for `agent-console sync` to report); after it, nothing does."""
        self._open_store, self._open_client = open_store, open_client
        self._on_change, self._on_status = on_change, on_status
        self._long_poll_wait = long_poll_wait
        self._retry_cap = retry_cap
        self._fail_fast = fail_fast
        self._loop: asyncio.AbstractEventLoop | None = None
        self._push_wanted: asyncio.Event | None = None
        self._signed_in: asyncio.Event | None = None  # cleared while the backend refuses our token
        # Set once /me confirmed that the backend is the one our cache belongs to; cleared whenever it was out of
        # reach (another server may answer on that address when it comes back). The outbox waits for it.
        self._confirmed: asyncio.Event | None = None
        self._ever_connected = False
        self._snapshot_cursor: int | None = None  # the cursor of the last snapshot, until the feed moves on
        self._online: bool | None = None  # None until the first attempt to reach the backend ends
        self._problems: dict[str, str] = {}  # "pull" / "push" / "engine" -> why it is degraded
        self._shown_online: bool | None = None
        self._status_since = time.time()
        self._agent_name = ""
        self._detail = ""
        self._depth = 0
        self.store: LocalStore | None = None
        self.lock: PushLock | None = None

    # --- long-running mode (the console, `agent-console sync`) --------------------------------------------

    async def run(self) -> None:
        """Runs until cancelled. A failure of the whole session (the store cannot be opened, say) is reported and
        the session starts again after a backoff."""
        self._loop = asyncio.get_running_loop()
        self._push_wanted, self._signed_in, self._confirmed = asyncio.Event(), asyncio.Event(), asyncio.Event()
        self._signed_in.set()
        failures = 0
        while True:
            try:
                await self._session()
            except Exception as error:
                if self._giving_up(error):
                    raise
                failures += 1
                self._degrade("engine", error)
                await asyncio.sleep(problem_delay(failures, self._retry_cap))

    async def _session(self) -> None:
        self.store = store = self._open_store()
        self.lock = PushLock(store.path)
        self._confirmed.clear()
        try:
            self._report_status()
            self.client = client = self._open_client()  # may wait for an embedded backend to boot
            try:
                try:
                    async with asyncio.TaskGroup() as loops:  # one failing cancels the other
                        loops.create_task(self._pull_loop())
                        loops.create_task(self._push_loop())
                except ExceptionGroup as failure:
                    raise failure.exceptions[0] from None
            finally:
                await client.aclose()
        finally:
            self.lock.release()
            self.store = None  # the status reports the last known depth until a new session opens the store
            store.close()

    def _giving_up(self, error: BaseException) -> bool:
        return self._fail_fast and not self._ever_connected and not isinstance(error, BackendUnavailable)

    def wake(self) -> None:
        """Thread-safe: the outbox has a new item, push now rather than at the next timer."""
        if self._push_wanted is not None:
            self._call_in_loop(self._push_wanted.set)

    def replace_token(self, token: str) -> None:
        """Thread-safe: the agent signed in again; resume with the new token."""
        self._call_in_loop(self._resume_with, token)

    def _call_in_loop(self, callback, *args) -> bool:
        """Thread-safe, and safe after the engine's loop has ended (the console quitting): then a no-op."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return False
        try:
            loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop closed between the check and the call
            return False
        return True

    def _resume_with(self, token: str) -> None:
        self.client.replace_token(token)
        self._detail = "reconnecting"
        self._signed_in.set()
        self._push_wanted.set()
        self._report_status()

    async def _wait_for_sign_in(self, error: AuthenticationRejected) -> None:
        if self._giving_up(error):
            raise error
        self._signed_in.clear()
        self._set_online(False, AUTH_REQUIRED)
        await self._signed_in.wait()

    async def _pull_loop(self) -> None:
        failures = 0
        while True:
            await self._signed_in.wait()
            healthy = self._online and self._confirmed.is_set() and not self._problems.get("pull")
            try:
                if not self._confirmed.is_set():
                    await self._check_identity()
                    self._confirmed.set()
                # Not healthy, a long poll would hold the answer back: probe with a quick pull instead.
                arrived = await self._pull(wait=self._long_poll_wait if healthy else 0)
                if healthy and not arrived:  # a quiet feed: index some stored messages for history search
                    self.store.history.index_pending(most=INDEX_WHEN_QUIET)
            except AuthenticationRejected as error:
                await self._wait_for_sign_in(error)
                continue
            except BackendUnavailable as error:
                failures += 1
                self._confirmed.clear()
                self._set_online(False, error.detail)
                await asyncio.sleep(reconnect_delay(failures, error.retry_after))
                continue
            except Exception as error:
                if self._giving_up(error):
                    raise
                failures += 1
                if isinstance(error, ServerMismatch):
                    self._confirmed.clear()  # and the outbox waits: its items are for the other server
                self._degrade("pull", error)
                await asyncio.sleep(problem_delay(failures, self._retry_cap))
                continue
            failures = 0
            self._ever_connected = True
            if not healthy:
                self._recover("pull", "engine")
                self._set_online(True)
                self.store.outbox.make_due_now()
                self._push_wanted.set()  # the backend is back: drain at once

    async def _push_loop(self) -> None:
        failures = 0
        while True:
            await self._signed_in.wait()
            await self._confirmed.wait()
            try:
                wait = await self._push_step()
                failures = 0
            except AuthenticationRejected as error:
                await self._wait_for_sign_in(error)
                continue
            except Exception as error:
                failures += 1
                wait = self._after_push_failure(error, failures)
            if wait != 0:
                await self._wait_for_push(wait)

    async def _push_step(self) -> float | None:
        """Push what is due; returns how long to wait before the next step (0: at once, None: until woken)."""
        if not self.hold_push_lock():
            return LOCK_RETRY_SECONDS
        if await self.push_once():
            return 0
        if not self.store.outbox.depth():
            # Nothing left to push: items whose answers were lost were settled by the feed bringing them back.
            self._recover("push")
        return self.store.outbox.seconds_until_due()

    def _after_push_failure(self, error: Exception, failures: int) -> float | None:
        if isinstance(error, BackendError):  # push_once has rescheduled the items and reported it
            try:
                return self.store.outbox.seconds_until_due()
            except Exception:
                return problem_delay(failures, self._retry_cap)
        self._degrade("push", error)
        try:
            # The items of the failed attempt may be left 'sending'; we hold the push lock, so they are ours.
            self.store.outbox.requeue_interrupted()
        except Exception:
            log.exception("could not requeue the outbox after a failed push")
        return problem_delay(failures, self._retry_cap)

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
        self.store.outbox.requeue_interrupted()
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
                store.outbox.make_due_now()
                before = {i.idempotency_key: i.state for i in store.outbox.items()}
                await self._drain(time.monotonic() + drain_for)
                after = {i.idempotency_key: i.state for i in store.outbox.items()}
                sent = sum(1 for k, s in after.items() if s == "sent" and before.get(k) != "sent")
                rejected = sum(1 for k, s in after.items() if s == "rejected" and before.get(k) != "rejected")
            pulled += await self._pull(wait=0)
            return SyncReport(
                sent=sent, rejected=rejected, waiting=store.outbox.depth(), pulled_messages=pulled,
                pushed_elsewhere=not self.lock.held,
            )

    async def _drain(self, deadline: float) -> None:
        while self.store.outbox.depth() and time.monotonic() < deadline:
            try:
                if await self.push_once():
                    continue
            except BackendUnavailable:
                pass
            wait = self.store.outbox.seconds_until_due()
            await asyncio.sleep(min(wait if wait is not None else 0.0, max(0.0, deadline - time.monotonic())))

    # --- the two directions ------------------------------------------------------------------------------

    async def _check_identity(self) -> None:
        identity = await self.client.identity()
        self._agent_name = identity.agent_name
        known = self.store.get_meta("server_id")
        if known is not None and known != identity.server_id:
            if self.store.outbox.depth():
                raise ServerMismatch(
                    f"{self.store.path} belongs to server {known}, not {identity.server_id}, and still has "
                    "unsent items; use another --agent profile or --data-dir for this backend"
                )
            self.store.forget_server_data()
        self.store.set_meta("server_id", identity.server_id)
        self.store.set_meta("agent_name", identity.agent_name)

    async def _pull(self, wait: float) -> int:
        """Apply the next batch of changes; returns how many messages arrived."""
        cursor = self.store.chats.feed_cursor()
        if cursor is None:
            return await self._pull_snapshot()
        try:
            batch = await self.client.changes_after(cursor, wait)
        except CursorExpired as expired:
            if cursor == self._snapshot_cursor:
                # The cursor a snapshot has just given is "too old" already: the server is broken, and taking
                # snapshot after snapshot would only hammer it. Degraded; tried again after a backoff.
                raise UnexpectedStatus(f"{expired.detail} (even for a fresh snapshot's cursor)", 410) from None
            return await self._pull_snapshot()
        self._snapshot_cursor = None
        messages = list(batch.messages)
        for chat_id in {m.chat_id for m in messages} if not self._sparse_seqs else ():
            # Fill any hole (a message we never saw) before applying what the feed brought.
            known, first = self.store.chats.last_seq(chat_id), min(m.seq for m in messages if m.chat_id == chat_id)
            if first > known + 1:
                messages = await self.client.messages_after(chat_id, known) + messages
        for chat_id in batch.stale_chats:
            messages += await self.client.messages_after(chat_id, self._complete_up_to(chat_id))
        self.store.chats.apply_changes(batch.chats, messages, batch.cursor)
        changed = {c.id for c in batch.chats} | {m.chat_id for m in messages}
        if changed:
            self._on_change(changed)
        return len(messages)

    async def _pull_snapshot(self) -> int:
        snapshot = await self.client.snapshot()
        messages = []
        for chat in snapshot.chats:
            messages += await self.client.messages_after(chat.id, self._complete_up_to(chat.id))
        self.store.chats.apply_changes(snapshot.chats, messages, snapshot.cursor)
        self._snapshot_cursor = snapshot.cursor
        self._on_change({chat.id for chat in snapshot.chats})
        return len(messages)

    @property
    def _sparse_seqs(self) -> bool:
        return getattr(self.client, "sparse_seqs", False)

    def _complete_up_to(self, chat_id: str) -> int:
        """The highest seq up to which the cache holds every message of the chat. Not the highest seq it holds:
        a delivery's answer (our own message, seq 5) can land before the customer's seq 1-4 were pulled, and a
        snapshot that asked only after seq 5 would skip them for good (the feed's cursor moves past them).
        With sparse seqs a gap says nothing: what the feed has brought (pulled_seq) is complete."""
        if self._sparse_seqs:
            return self.store.chats.pulled_seq(chat_id)
        complete = 0
        for seq in sorted(entry.seq for entry in self.store.chats.transcript(chat_id) if entry.seq):
            if seq > complete + 1:
                break
            complete = seq
        return complete

    async def push_once(self) -> int:
        """Deliver the next run of due items; returns how many were settled (sent or rejected).

        Raises a BackendError (after scheduling the retry) or AuthenticationRejected (items stay queued).
        """
        items = self.store.outbox.due_items(self.client.batch_limit)
        if not items:
            return 0
        self.store.outbox.mark_sending(items)
        try:
            deliveries = await self.client.deliver(items)
        except AuthenticationRejected as error:
            self.store.outbox.mark_retry(items, error.detail, 0.0)
            raise
        except BackendError as error:
            # Unreachable, or an answer we cannot read: the server may have applied some of the items, so the
            # same items go again with the same keys (a replay settles them), after a backoff.
            retry_after = getattr(error, "retry_after", None)
            self.store.outbox.mark_retry(items, error.detail,
                                  backoff_delay(items[0].attempts + 1, retry_after, cap=self._retry_cap))
            if isinstance(error, BackendUnavailable):
                self._set_online(False, error.detail)
            else:
                self._degrade("push", error)
            self._report_change(items)
            raise
        self.store.outbox.apply_deliveries(items, deliveries)
        undelivered = items[len(deliveries):]  # the backend stopped partway: the rest waits its turn again
        if undelivered:
            self.store.outbox.mark_retry(undelivered, "not applied yet",
                                  backoff_delay(undelivered[0].attempts + 1, cap=self._retry_cap))
        self._recover("push")
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
            if online:
                log.info("backend reachable again")
            else:
                log.warning("backend out of reach: %s", detail)
        self._online = online
        self._detail = detail
        self._report_status()

    def _degrade(self, part: str, error: BaseException) -> None:
        reason = describe(error)
        if self._problems.get(part) != reason:  # log each new problem once, not every retry
            if isinstance(error, (BackendError, StoreError)):
                log.warning("sync degraded (%s): %s", part, reason)
            else:
                log.error("sync degraded (%s) by an unexpected error", part, exc_info=error)
        self._problems[part] = reason
        self._report_status()

    def _recover(self, *parts: str) -> None:
        recovered = [part for part in parts if self._problems.pop(part, None) is not None]
        for part in recovered:
            log.info("sync recovered (%s)", part)
        if recovered:
            self._report_status()

    def _report_status(self) -> None:
        lock, store = self.lock, self.store
        try:
            if store is not None:
                self._depth = store.outbox.depth()
            agent_name = self._agent_name or (store.get_meta("agent_name") if store is not None else "") or ""
        except Exception:  # a store that fails (StoreError) or was closed: whoever met the failure reports it
            agent_name = self._agent_name
        # A degraded engine reads offline: the feed is not flowing, whatever the network says.
        online = False if self._problems else self._online
        if online != self._shown_online:
            self._shown_online, self._status_since = online, time.time()
        problems = list(self._problems.values())
        self._on_status(
            SyncStatus(
                online=online,
                since=self._status_since,
                outbox_depth=self._depth,
                agent_name=agent_name,
                detail=f"degraded: {problems[0]}" if problems else self._detail,
                pushed_elsewhere=lock is not None and not lock.held and self._depth > 0,
                auth_required=self._signed_in is not None and not self._signed_in.is_set(),
                degraded="; ".join(problems),
            )
        )
