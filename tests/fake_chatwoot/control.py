"""The test side of the fake Chatwoot: start the process, play the customer and the administrator, read back."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx

from tests.fake_chatwoot.__main__ import READY_PREFIX
from tests.package_under_test import REPO_ROOT
from tests.ready_process import start_until_ready

TOKEN = "fake-agent-token"
ACCOUNT_ID = 1


class FakeChatwoot:
    """`with FakeChatwoot() as chatwoot:` or start()/stop(). `url` is http://127.0.0.1:PORT, `console_url` the
    chatwoot+http://… address the console takes, `token` the agent's api_access_token.

    `validator` names a module whose validate_request/validate_response see every agent exchange (default: the
    environment's FAKE_CHATWOOT_VALIDATOR, e.g. tests.chatwoot_contract); what they raise is collected in
    contract_violations()."""

    def __init__(self, *, seed: int = 0, validator: str | None = None, token: str = TOKEN,
                 account_id: int = ACCOUNT_ID):
        self.seed, self.token, self.account_id = seed, token, account_id
        self.validator = validator or os.environ.get("FAKE_CHATWOOT_VALIDATOR") or None
        self.url = ""
        self.process: subprocess.Popen | None = None
        self._http: httpx.Client | None = None

    @property
    def console_url(self) -> str:
        return f"chatwoot+{self.url}/{self.account_id}"

    @property
    def api(self) -> str:
        """The account's API root: {api}/conversations, {api}/teams, …"""
        return f"{self.url}/api/v1/accounts/{self.account_id}"

    @property
    def cable_url(self) -> str:
        return "ws" + self.url[len("http"):] + "/cable"

    def room_identifier(self) -> str:
        """The RoomChannel identifier a real client subscribes with (pubsub_token from /api/v1/profile)."""
        agent = self.state()["agent"]
        return json.dumps({"channel": "RoomChannel", "pubsub_token": agent["pubsub_token"],
                           "account_id": self.account_id, "user_id": agent["id"]})

    def start(self) -> "FakeChatwoot":
        # cwd = the repository root, so `tests` is importable; the fake imports no product package.
        command = [sys.executable, "-m", "tests.fake_chatwoot", "--token", self.token,
                   "--account-id", str(self.account_id), "--seed", str(self.seed)]
        self.process, self.url = start_until_ready(
            command + (["--validator", self.validator] if self.validator else []), READY_PREFIX, "fake chatwoot",
            cwd=REPO_ROOT, stdin=subprocess.PIPE)
        self._http = httpx.Client(base_url=f"{self.url}/__fake__", timeout=10)
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "FakeChatwoot":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _post(self, path: str, body: dict) -> dict | list:
        response = self._http.post(path, json=body)
        response.raise_for_status()
        return response.json()

    # --- the customer and the administrator ----------------------------------------------------------------

    def add_contact(self, name: str, *, email: str | None = None, phone_number: str | None = None,
                    identifier: str | None = None) -> int:
        return self._post("/contacts", {"name": name, "email": email, "phone_number": phone_number,
                                        "identifier": identifier})["id"]

    def add_conversation(self, contact_id: int | None = None, *, mine: bool = True, assignee_id: int | None = None,
                         team_id: int | None = None, status: str = "open", priority: str | None = None,
                         labels: list[str] = (), ago: float = 0) -> int:
        """A conversation (its display id); mine=True assigns it to the token's agent. `ago` seconds back sets
        created_at, updated_at and last_activity_at. Without a contact, one is made."""
        if contact_id is None:
            contact_id = self.add_contact("Customer")
        return self._post("/conversations", {
            "contact_id": contact_id, "mine": mine, "assignee_id": assignee_id, "team_id": team_id,
            "status": status, "priority": priority, "labels": list(labels), "ago": ago})["display_id"]

    def customer_says(self, conversation_id: int, content: str | None, *, ago: float = 0,
                      attachments: list[dict] | None = None) -> dict:
        """An incoming message (message_type 0) from the conversation's contact; returns the stored record.
        `attachments` as Attachment#push_event_data's file fields (file_type, data_url, file_size, extension)."""
        return self._post(f"/conversations/{conversation_id}/messages", {"content": content, "message_type": 0,
                                                                          "ago": ago, "attachments": attachments})

    def add_activity(self, conversation_id: int, content: str) -> dict:
        """A system message (message_type 2), as Chatwoot writes for status or assignee changes."""
        return self._post(f"/conversations/{conversation_id}/messages", {"content": content, "message_type": 2})

    def add_private_note(self, conversation_id: int, content: str, *, sender_id: int = 2,
                         content_attributes: dict | None = None) -> dict:
        """An outgoing private message by another agent (default id 2): an internal note."""
        return self._post(f"/conversations/{conversation_id}/messages", {
            "content": content, "message_type": 1, "private": True, "sender_id": sender_id,
            "content_attributes": content_attributes})

    def add_agent(self, name: str, *, role: str = "agent", email: str | None = None) -> int:
        return self._post("/agents", {"name": name, "role": role, **({"email": email} if email else {})})["id"]

    def add_team(self, name: str, description: str = "") -> int:
        return self._post("/teams", {"name": name, "description": description})["id"]

    def add_canned_response(self, short_code: str, content: str) -> int:
        return self._post("/canned_responses", {"short_code": short_code, "content": content})["id"]

    # --- faults -------------------------------------------------------------------------------------------

    def set_flood_limit(self, per_minute: int) -> None:
        """Messages per conversation per minute before a create is 422 "Validation failed: Too many messages"
        (Chatwoot's default: 200)."""
        self._post("/settings", {"flood_limit": per_minute})

    def set_rate_limit(self, per_minute: int | None) -> None:
        """Agent-API requests per clock minute before 429 "Retry later" without Retry-After; None: no limit."""
        self._post("/settings", {"rate_limit_per_minute": per_minute})

    def set_message_touches_conversation(self, touches: bool) -> None:
        """Chatwoot's Message `belongs_to :conversation, touch: true` bumps updated_at on every new message;
        False models an install where it does not (only last_activity_at moves)."""
        self._post("/settings", {"message_touches_conversation": touches})

    def advance_clock(self, seconds: float) -> None:
        """Move the server's clock (timestamps, updated_within, flood and rate windows) forward."""
        self._post("/settings", {"advance_clock": seconds})

    def skip_message_ids(self, count: int) -> None:
        """Leave a gap of `count` ids before the next message."""
        self._post("/settings", {"skip_message_ids": count})

    def refuse(self, conversation_id: int | None = None, action: str | None = None) -> None:
        """401 "You are not authorized to do this action" for that conversation (None: every one) on that action
        (None: all): conversations.show, messages.index, messages.create, toggle_status, toggle_priority,
        assignments, labels."""
        self._post("/refusals", {"conversation_id": conversation_id, "action": action})

    def clear_refusals(self) -> None:
        self._http.delete("/refusals").raise_for_status()

    def fail_next_sends(self, count: int = 1, *, stored: bool = False) -> None:
        """The next `count` outgoing creates answer 422; stored=True keeps the message first (an after-commit
        callback failing), so the send did happen."""
        self._post("/failing_sends", {"count": count, "stored": stored})

    def drop_cable(self) -> int:
        """Close every open /cable websocket now; returns how many were open. Nothing is replayed later."""
        return self._post("/cable/drop", {})["dropped"]

    # --- reading back -------------------------------------------------------------------------------------

    def state(self) -> dict:
        """Everything held: agent, agents, teams, canned_responses, contacts, conversations, messages (the
        stored records: no echo_id), requests [{method, path, query, status}], contract_violations, now."""
        response = self._http.get("/state")
        response.raise_for_status()
        return response.json()

    def messages(self, conversation_id: int | None = None) -> list[dict]:
        return [m for m in self.state()["messages"]
                if conversation_id is None or m["conversation_id"] == conversation_id]

    def conversation(self, conversation_id: int) -> dict:
        return next(c for c in self.state()["conversations"] if c["display_id"] == conversation_id)

    def count_with_content(self, conversation_id: int, content: str) -> int:
        """How many stored messages of the conversation say exactly `content`: a duplicate shows as 2."""
        return sum(1 for m in self.messages(conversation_id) if m["content"] == content)

    def contract_violations(self) -> list[str]:
        return self.state()["contract_violations"]
