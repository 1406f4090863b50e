"""What the fake Chatwoot holds, in memory, and the rules Chatwoot applies when it changes.

Each rule names the Chatwoot file it copies (chatwoot/chatwoot, paths from the repository root).
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field

# app/models/message.rb: enum message_type
INCOMING, OUTGOING, ACTIVITY, TEMPLATE = 0, 1, 2, 3
MESSAGE_TYPES = {"incoming": INCOMING, "outgoing": OUTGOING, "activity": ACTIVITY, "template": TEMPLATE}
STATUSES = ("open", "resolved", "pending", "snoozed")
PRIORITIES = ("urgent", "high", "medium", "low")  # app/models/conversation.rb enum priority; none is null
# lib/limits.rb: CONVERSATION_MESSAGE_PER_MINUTE_LIMIT defaults to 200
DEFAULT_FLOOD_LIMIT = 200


class CreateFailed(Exception):
    """A message create that Chatwoot turns into 422 {"error": str(exc)} (messages_controller.rb rescues all)."""


@dataclass
class Contact:
    id: int
    name: str
    email: str | None = None
    phone_number: str | None = None
    identifier: str | None = None
    created_at: float = 0.0


@dataclass
class Conversation:
    display_id: int
    contact_id: int
    inbox_id: int
    created_at: float
    updated_at: float
    last_activity_at: float
    status: str = "open"
    priority: str | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    labels: list[str] = field(default_factory=list)
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class Message:
    id: int
    conversation_id: int  # the conversation's display_id, as the API shows it
    inbox_id: int
    content: str | None
    message_type: int
    private: bool
    created_at: float
    content_attributes: dict = field(default_factory=dict)
    source_id: str | None = None
    sender_type: str | None = None  # "User" or "Contact"
    sender_id: int | None = None
    content_type: str = "text"
    # Attachment#push_event_data (file_metadata): id, message_id, file_type, account_id, extension, data_url,
    # thumb_url, file_size, width, height.
    attachments: list[dict] = field(default_factory=list)


class MessageIds:
    """Message ids come from one table-wide sequence, so one conversation sees gaps: other conversations'
    messages, rolled-back inserts. Here a seeded generator skips a few ids now and then."""

    def __init__(self, seed: int, start: int = 1000):
        self._random = random.Random(seed)
        self._last = start

    def next(self) -> int:
        self._last += 1 + (self._random.randint(1, 5) if self._random.random() < 0.3 else 0)
        return self._last

    def skip(self, count: int) -> None:
        self._last += count


class ChatwootState:
    def __init__(self, *, token: str, account_id: int, seed: int = 0):
        self.token = token
        self.account_id = account_id
        self.clock_offset = 0.0
        self.message_ids = MessageIds(seed)
        self.agent = {"id": 1, "name": "Ada Agent", "email": "ada@example.test", "role": "agent",
                      "pubsub_token": "pubsub-" + uuid.UUID(int=seed + 1).hex[:20]}
        self.agents = [self.agent, {"id": 2, "name": "Bo Billing", "email": "bo@example.test", "role": "agent"},
                       {"id": 3, "name": "Cy Admin", "email": "cy@example.test", "role": "administrator"}]
        self.teams = [{"id": 1, "name": "billing", "description": "Invoices and refunds"},
                      {"id": 2, "name": "technical", "description": "Bugs and outages"}]
        self.canned_responses = [{"id": 1, "short_code": "hello", "content": "Hello! How can I help you today?"}]
        self.contacts: dict[int, Contact] = {}
        self.conversations: dict[int, Conversation] = {}
        self.messages: list[Message] = []
        self.inbox_id = 1
        self.flood_limit = DEFAULT_FLOOD_LIMIT
        self.message_touches_conversation = True
        self.rate_limit_per_minute: int | None = None
        self.rate_window: tuple[int, int] = (0, 0)  # (minute, requests counted in it)
        self.refusals: list[dict] = []  # {"conversation_id": int | None, "action": str | None}
        self.failing_sends: list[bool] = []  # one entry per next create: True = stored, then 422
        self.requests: list[dict] = []
        self.contract_violations: list[str] = []
        # ActionCable: each listener gets (event name, record, extra) for every event (tests/fake_chatwoot/cable.py)
        self.listeners: list = []
        self.sockets: list = []

    def publish(self, event: str, record, **extra) -> None:
        for listener in list(self.listeners):
            listener(event, record, extra)

    def now(self) -> float:
        return time.time() + self.clock_offset

    # --- seeding (the customer's and the administrator's side) ----------------------------------------------

    def add_contact(self, name: str, email=None, phone_number=None, identifier=None) -> Contact:
        contact = Contact(len(self.contacts) + 1, name, email, phone_number, identifier, self.now())
        self.contacts[contact.id] = contact
        return contact

    def add_conversation(self, contact_id: int, *, assignee_id=None, team_id=None, status="open", priority=None,
                         labels=(), ago: float = 0.0) -> Conversation:
        if contact_id not in self.contacts:
            raise KeyError(contact_id)
        at = self.now() - ago
        conversation = Conversation(len(self.conversations) + 1, contact_id, self.inbox_id, at, at, at, status,
                                    priority, assignee_id, team_id, list(labels))
        self.conversations[conversation.display_id] = conversation
        return conversation

    # --- the rules of app/models/message.rb --------------------------------------------------------------

    def create_message(self, conversation: Conversation, *, content, message_type: int, private=False,
                       content_attributes=None, source_id=None, sender_type=None, sender_id=None,
                       ago: float = 0.0, echo_id=None, attachments=None) -> Message:
        if not isinstance(content_attributes, (dict, type(None))):
            raise CreateFailed("content_attributes must be an object")
        now = self.now()
        recent = sum(1 for m in self.messages if m.conversation_id == conversation.display_id
                     and m.created_at >= now - 60)
        if recent >= self.flood_limit:  # prevent_message_flooding, a validation: save! raises RecordInvalid
            raise CreateFailed("Validation failed: Too many messages")
        stored_then_failed = self.failing_sends.pop(0) if self.failing_sends and message_type == OUTGOING else None
        if stored_then_failed is False:
            raise CreateFailed("Injected failure before the insert")
        message = Message(self.message_ids.next(), conversation.display_id, conversation.inbox_id, content,
                          message_type, bool(private), now - ago, dict(content_attributes or {}), source_id,
                          sender_type, sender_id)
        message.attachments = [{"id": message.id * 10 + index, "message_id": message.id, "account_id": self.account_id,
                                "thumb_url": "", "width": None, "height": None, **attachment}
                               for index, attachment in enumerate(attachments or [])]
        self.messages.append(message)
        self.publish("message.created", message, echo_id=echo_id)  # Message#dispatch_create_events
        # `after_create_commit`: set_conversation_activity uses update_columns (last_activity_at only), but
        # `belongs_to :conversation, touch: true` also bumps updated_at on every message save.
        conversation.last_activity_at = max(conversation.last_activity_at, message.created_at)
        if self.message_touches_conversation:
            conversation.updated_at = now
        if message_type == INCOMING and conversation.status in ("resolved", "snoozed"):
            self._change(conversation, status="open", by=None)  # reopen_conversation
        if stored_then_failed:
            # An after_create_commit callback raising (e.g. enqueuing SendReplyJob): committed, yet a 422.
            raise CreateFailed("Injected failure after the commit")
        return message

    def add_activity(self, conversation: Conversation, content: str) -> Message:
        # Conversations::ActivityMessageJob: message_type activity, no sender
        return self.create_message(conversation, content=content, message_type=ACTIVITY)

    # --- the rules of app/models/conversation.rb (ActivityMessageHandler) -------------------------------------

    def _change(self, conversation: Conversation, by: str | None, **changes) -> None:
        for name, value in changes.items():
            setattr(conversation, name, value)
        conversation.updated_at = self.now()
        # Conversation#notify_status_change / dispatch_conversation_updated_event
        self.publish("conversation.status_changed" if "status" in changes else
                     "assignee.changed" if "assignee_id" in changes else "conversation.updated", conversation)
        if "status" in changes and by is not None:
            verb = {"resolved": "marked resolved", "open": "reopened", "pending": "marked as pending",
                    "snoozed": "snoozed"}[changes["status"]]
            self.add_activity(conversation, f"Conversation was {verb} by {by}")

    def set_status(self, conversation: Conversation, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"'{status}' is not a valid status")
        if status != conversation.status:
            self._change(conversation, status=status, by=self.agent["name"])

    def set_priority(self, conversation: Conversation, priority: str | None) -> None:
        if priority not in (*PRIORITIES, None):
            raise ValueError(f"'{priority}' is not a valid priority")
        if priority != conversation.priority:
            self._change(conversation, priority=priority, by=self.agent["name"])

    def assign_agent(self, conversation: Conversation, agent_id: int | None) -> dict | None:
        agent = next((a for a in self.agents if a["id"] == agent_id), None)
        self._change(conversation, assignee_id=agent["id"] if agent else None, by=self.agent["name"])
        self.add_activity(conversation, f"Assigned to {agent['name']} by {self.agent['name']}" if agent
                          else f"Conversation unassigned by {self.agent['name']}")
        return agent

    def assign_team(self, conversation: Conversation, team_id: int | None) -> dict | None:
        team = next((t for t in self.teams if t["id"] == team_id), None)
        self._change(conversation, team_id=team["id"] if team else None, by=self.agent["name"])
        self.add_activity(conversation, f"Assigned to {team['name']} team by {self.agent['name']}" if team
                          else f"Unassigned from team by {self.agent['name']}")
        return team

    def set_labels(self, conversation: Conversation, labels: list[str]) -> None:
        new = list(dict.fromkeys(str(label) for label in labels))
        added = [x for x in new if x not in conversation.labels]
        removed = [x for x in conversation.labels if x not in new]
        self._change(conversation, labels=new, by=self.agent["name"])
        if added:
            self.add_activity(conversation, f"{self.agent['name']} added {', '.join(added)}")
        if removed:
            self.add_activity(conversation, f"{self.agent['name']} removed {', '.join(removed)}")

    # --- guards ------------------------------------------------------------------------------------------

    def refused(self, conversation_id: int | None, action: str) -> bool:
        return any(r.get("conversation_id") in (None, conversation_id) and r.get("action") in (None, action)
                   for r in self.refusals)

    def over_rate_limit(self) -> bool:
        """Rack::Attack's throttle('req/ip', period: 1.minute): a fixed window per clock minute."""
        if self.rate_limit_per_minute is None:
            return False
        minute = int(self.now() // 60)
        count = self.rate_window[1] + 1 if self.rate_window[0] == minute else 1
        self.rate_window = (minute, count)
        return count > self.rate_limit_per_minute
