"""Response-time standards (domain.md) turned into deadlines per chat, and the list order they imply.

Deadlines are absolute times, so the order of the chat list changes only when a chat's data changes (a new
message, a reply, a new priority), never because the clock ticked: rows do not jump under the agent's keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from local_cache.models import ChatSummary

PRIORITIES = ("urgent", "important", "normal")
DEFAULT_LIMITS = {"urgent": 5 * 60, "important": 30 * 60, "normal": 2 * 60 * 60}
WARN_FRACTION = 0.2  # a limit "nears" in its last fifth...
WARN_AT_LEAST = 10.0  # ...or its last 10 s, whichever is longer (30 s reply: warn at 10 s left)
ACTIVE_STATES = ("opened", "in_progress")


@dataclass(frozen=True)
class SlaPolicy:
    first_response: float = 30.0  # seconds a customer message may wait for the agent's reply
    limits: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_LIMITS))  # handling, by priority

    def warn_before(self, limit: float) -> float:
        return max(limit * WARN_FRACTION, WARN_AT_LEAST)


@dataclass(frozen=True)
class Deadline:
    kind: str  # reply | handle
    label: str  # "reply", or the priority whose handling limit this is
    due: float
    warn_at: float

    def status(self, now: float) -> str:
        return "breached" if now >= self.due else "warning" if now >= self.warn_at else "calm"


def effective_priority(chat: ChatSummary) -> str:
    """The backend's priority, raised by rules: a high-risk chat is urgent; a VIP is at least important."""
    if chat.high_risk:
        return "urgent"
    if chat.vip and chat.priority == "normal":
        return "important"
    return chat.priority if chat.priority in PRIORITIES else "normal"


def deadlines(chat: ChatSummary, policy: SlaPolicy) -> list[Deadline]:
    """Running timers of an open chat, nearest first; none for a transferred or closed chat."""
    if chat.state not in ACTIVE_STATES:
        return []
    priority = effective_priority(chat)
    limit = policy.limits.get(priority, DEFAULT_LIMITS[priority])
    handle_due = chat.opened_at + limit
    found = [Deadline("handle", priority, handle_due, handle_due - policy.warn_before(limit))]
    if chat.waiting_since is not None:
        reply_due = chat.waiting_since + policy.first_response
        found.append(Deadline("reply", "reply", reply_due, reply_due - policy.warn_before(policy.first_response)))
    return sorted(found, key=lambda deadline: deadline.due)


def nearest_deadline(chat: ChatSummary, policy: SlaPolicy) -> Deadline | None:
    found = deadlines(chat, policy)
    return found[0] if found else None


def urgency_order(chats: list[ChatSummary], policy: SlaPolicy) -> list[ChatSummary]:
    """High-risk chats not yet handed on first (abuse, threats, self-harm go to the safety team at once, however
    late other chats are), then open chats by nearest deadline (so breached ones first, most overdue first), then
    transferred, then closed; ties by age."""

    def key(chat: ChatSummary):
        deadline = nearest_deadline(chat, policy)
        if chat.high_risk and deadline:
            group = -1
        else:
            group = 0 if deadline else 1 if chat.state != "closed" else 2
        return group, deadline.due if deadline else 0.0, chat.created_at, chat.id

    return sorted(chats, key=key)
