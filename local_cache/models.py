"""Plain data passed between the store, the sync engine and the UI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(frozen=True)
class RemoteChat:
    id: str
    customer_name: str
    customer_title: str
    vip: bool
    channel: str
    state: str
    priority: str
    created_at: float
    updated_at: float
    tags: tuple[str, ...] = ()
    profile: dict = field(default_factory=dict, hash=False)  # phone, id_number (masked), orders, ...
    customer_id: str = ""  # the backend's id of the customer, the same for all their chats ('' if it has none)


@dataclass(frozen=True)
class Attachment:
    """A file a message carries (docs/api.md, "Message"): a link, shown as text and fetched only when the agent
    asks. `url` is data from the customer: it may be any scheme; only http/https are ever opened."""

    id: str
    name: str
    type: str  # a MIME type as the backend gave it ("image/jpeg"), or "" when it gave none
    size: int  # bytes; 0 when unknown
    url: str


@dataclass(frozen=True)
class RemoteMessage:
    id: str
    chat_id: str
    seq: int
    author: str  # agent | customer | system
    text: str
    created_at: float
    client_key: str | None = None  # the idempotency key the agent's console sent it with
    private: bool = False  # an agent's internal note: never the customer's, never an answer to them
    attachments: tuple[Attachment, ...] = ()
    transfer: tuple[str, str] = ()  # (to, note) on the system line a transfer left, whoever made it


@dataclass(frozen=True)
class OrderItem:
    name: str
    quantity: int
    price: str  # a decimal string in the order's currency ("599.00"): never a float


@dataclass(frozen=True)
class Order:
    """A customer's order as the backend knows it (docs/api.md, "Order"). The recipient's name, phone and street
    are masked (王**, 138****5678, ****) unless `revealed`: read through the reveal endpoint, which the console
    logs like any other reveal."""

    order_no: str
    chat_id: str  # the chat whose customer placed it
    status: str  # paid | shipped | delivered | refund_requested | ... (shown as given)
    items: tuple[OrderItem, ...]
    amount: str
    currency: str
    created_at: float
    carrier: str = ""
    tracking_no: str = ""
    recipient_name: str = ""
    recipient_phone: str = ""
    region: str = ""  # province, city, district: never masked
    address: str = ""
    revealed: bool = False


@dataclass(frozen=True)
class ChatSummary:
    """One row of the chat list."""

    id: str
    customer_name: str
    customer_title: str
    vip: bool
    channel: str
    state: str
    priority: str
    last_message_preview: str
    unread: int
    waiting_since: float | None  # the customer's oldest message not yet answered by the agent
    high_risk: str = ""  # the incoming rule a customer message matched (abuse, threat, self-harm), if any
    unchecked: int = 0  # customer messages the incoming rules could not check: the agent reads them
    # The complaint-risk rule a customer message matched (12315, a bad review, going public), if any: answer with
    # care; unlike high_risk it neither escalates nor raises the priority.
    complaint_risk: str = ""
    created_at: float = 0.0
    opened_at: float = 0.0  # when the chat was opened, or last reopened: the handling limit counts from here
    tags: tuple[str, ...] = ()
    customer_id: str = ""  # links a returning customer's chats ('' when the backend gives no id)


class TranscriptEntry(NamedTuple):
    """One message as the transcript shows it; agent messages carry a delivery state. A NamedTuple: a chat's
    whole history is built at once when it is opened (2,000 frozen dataclasses took 3 ms, these 1 ms)."""

    key: str  # server id, or the idempotency key while the message is only in the outbox
    author: str
    text: str
    created_at: float
    delivery: str | None  # sending | sent | rejected for agent messages, None otherwise
    error: str = ""  # why a rejected message was refused
    seq: int = 0  # the server's order; 0 while the message is only in the outbox
    # A system line the console words itself (so in the interface language): ("transfer", to, note) for this
    # agent's transfer, ("override", rules, reason) under a message sent despite linter errors. `text` has
    # the same in English.
    system_event: tuple[str, ...] = ()
    private: bool = False  # an internal note (agents only): shown apart, never counted as an answer
    attachments: tuple[Attachment, ...] = ()  # the files the message carries, in the order sent


@dataclass(frozen=True)
class OutboxItem:
    id: int
    idempotency_key: str
    chat_id: str
    kind: str  # message | action
    body: dict
    state: str  # queued | sending | sent | rejected
    attempts: int
    last_error: str | None
    created_at: float
    # The highest seq of the chat's messages this console has sent and seen settled before this item: items
    # leave in order, so a message this one made has a higher seq (a backend with no stored key looks above it).
    sent_floor: int = 0


@dataclass(frozen=True)
class SyncStatus:
    online: bool | None  # None: still connecting
    since: float  # when the current online/offline state began
    outbox_depth: int
    agent_name: str
    detail: str = ""
    pushed_elsewhere: bool = False  # another process (e.g. `agent-console sync`) holds the push lock
    auth_required: bool = False  # the backend refused the token; sync waits for a new one
    degraded: str = ""  # why sync is not working although the backend may answer (bad payload, odd status)


@dataclass(frozen=True)
class LintOverride:
    """The agent's reason for sending despite error-level findings, and those findings (as JSON objects)."""

    reason: str
    findings: list[dict]
