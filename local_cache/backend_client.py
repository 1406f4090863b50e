"""The seam between the sync engine and a helpdesk backend.

The engine and the outbox know only this interface; a new backend type (Chatwoot's Application API is
planned) is a new class implementing it, with its own mapping of ids, cursors and errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from local_cache.models import Order, OutboxItem, RemoteChat, RemoteMessage


class BackendError(Exception):
    """Base class: `detail` is safe to show the agent (it never contains the token)."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class BackendUnavailable(BackendError):
    """Transient: connection refused or reset, timeout, 5xx, 408/409/425/429. Retry the same request later."""

    def __init__(self, detail: str, retry_after: float | None = None):
        super().__init__(detail)
        self.retry_after = retry_after


class AuthenticationRejected(BackendError):
    """401: the token is missing, wrong or revoked. Nothing is dropped; the agent must sign in again."""


class RequestRejected(BackendError):
    """Any other 4xx: this one request will never succeed as it is."""

    def __init__(self, detail: str, status: int):
        super().__init__(detail)
        self.status = status


class BadPayload(BackendError):
    """The backend answered, but not as the API says (not JSON, cut short, a field of the wrong type).

    `detail` names the endpoint and the field. Never the item's fault: the same request is tried again later."""


class UnexpectedStatus(BackendError):
    """A status the endpoint never gives when it works (404 or 410 on the feed itself, 405, 403, ...): a
    proxy or a misconfigured server is in the way. Not the item's fault: the same request is tried again later."""

    def __init__(self, detail: str, status: int):
        super().__init__(detail)
        self.status = status


class CursorExpired(BackendError):
    """The server no longer has changes after our cursor: take a fresh snapshot."""


@dataclass(frozen=True)
class Identity:
    agent_name: str
    server_id: str


@dataclass(frozen=True)
class Snapshot:
    chats: list[RemoteChat]
    cursor: int


@dataclass(frozen=True)
class ChangeBatch:
    chats: list[RemoteChat]
    messages: list[RemoteMessage]
    cursor: int
    # Chats with messages this batch does not carry (a feed that lists changed chats only): the engine asks
    # messages_after() for each, after what the feed has brought so far.
    stale_chats: tuple[str, ...] = ()


@dataclass(frozen=True)
class Delivery:
    """What became of one outbox item: accepted (with what the server made of it) or rejected for good."""

    idempotency_key: str
    accepted: bool
    message: RemoteMessage | None = None
    chat: RemoteChat | None = None
    error: str = ""


class BackendClient(Protocol):
    # True where message seqs have gaps by design (Chatwoot's message ids are global): a gap is then no sign of
    # a missing message, and a chat is caught up from the feed's watermark (pulled_seq).
    sparse_seqs: bool

    async def identity(self) -> Identity: ...

    async def snapshot(self) -> Snapshot:
        """All of the agent's chats and the change-feed cursor they are current as of."""

    async def messages_after(self, chat_id: str, after_seq: int) -> list[RemoteMessage]:
        """Every message of the chat with seq > after_seq, in order."""

    async def changes_after(self, cursor: int, wait: float) -> ChangeBatch:
        """Changes after `cursor`; waits up to `wait` seconds for the first one."""

    async def deliver(self, items: list[OutboxItem]) -> list[Delivery]:
        """Send items in order, each with its own idempotency key; return a Delivery for a prefix of them.

        Items are applied in order. A backend that stops partway (a transient failure after some items) returns
        the Deliveries it has; if it has none, it raises BackendUnavailable or AuthenticationRejected instead, or
        BadPayload / UnexpectedStatus when the answer cannot be read (the items may have been applied: the same
        items are sent again later with the same keys).
        """

    async def customer_profile(self, chat_id: str) -> dict:
        """The customer's profile with personal numbers in clear (the agent asked to reveal them)."""

    async def customer_orders(self, chat_id: str, *, revealed: bool = False) -> list[Order]:
        """The chat's customer's orders, newest first; the recipient masked unless `revealed` (the agent asked
        to reveal: log it as such). [] where the backend has no orders."""

    async def order(self, order_no: str) -> Order | None:
        """One order by its number (recipient masked), or None if the backend knows no such order."""

    @property
    def batch_limit(self) -> int:
        """How many items one deliver() call may take."""
        ...

    def replace_token(self, token: str) -> None:
        """Use new credentials from the next request on (the agent signed in again)."""

    async def aclose(self) -> None: ...
