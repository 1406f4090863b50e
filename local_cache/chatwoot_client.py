"""BackendClient for a Chatwoot account (its Application API, with the agent's access token).

The same guarantees as against the reference API, which Chatwoot's own API does not give by itself:
- exactly once and in order: local_cache/chatwoot_delivery.py;
- nothing lost from the feed: chats are polled by last activity (new messages) and by `updated_within` (state,
  labels, priority), and each changed chat's messages are fetched after what the feed has brought so far.
  Chatwoot's websocket (ActionCable) only rings the bell for an early poll (local_cache/chatwoot_cable.py): it
  replays nothing after a reconnect, so it is never the truth.
How each HTTP status is taken: local_cache/chatwoot_http.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from urllib.parse import urlsplit

from local_cache.backend_client import (
    BadPayload,
    ChangeBatch,
    Delivery,
    Identity,
    RequestRejected,
    Snapshot,
    UnexpectedStatus,
)
from local_cache.chatwoot_address import ChatwootAccount
from local_cache.chatwoot_cable import CableDoorbell
from local_cache.chatwoot_delivery import CLOCK_SKEW_ALLOWANCE, ChatwootDelivery
from local_cache.chatwoot_http import REQUEST_DEADLINE, ChatwootHttp
from local_cache.chatwoot_mapping import Misfit, remote_chat
from local_cache.models import Order, OutboxItem, RemoteChat, RemoteMessage

POLL_INTERVAL = 2.0  # s between two looks at the conversation list while a pull waits and the socket is down
QUIET_POLL_INTERVAL = 15.0  # the same while the socket is up: its events ring for the polls that matter
MESSAGES_PAGE = 100  # Chatwoot's most messages per `after=` page
# A time in the cursor is the server's; this much overlap (and skew) is asked for again, and seen chats are
# told apart by their own times, so nothing that changed within the same second is missed.
CURSOR_OVERLAP = 5
CLOSED_HISTORY_DAYS = 7


class ChatwootClient:
    sparse_seqs = True  # message ids are global: a chat's ids have gaps by design
    batch_limit = 20

    def __init__(self, account: ChatwootAccount, token: str, *, deadline: float = REQUEST_DEADLINE,
                 poll_interval: float = POLL_INTERVAL, quiet_poll_interval: float = QUIET_POLL_INTERVAL,
                 use_cable: bool = True, transport=None):
        self.account = account
        self._poll_interval = poll_interval
        self._quiet_poll_interval, self._use_cable = quiet_poll_interval, use_cable
        self._bell: asyncio.Event | None = None
        self.cable: CableDoorbell | None = None
        self._http = ChatwootHttp(account, token, deadline=deadline, transport=transport)
        self._delivery = ChatwootDelivery(self._http)
        self._seen: dict[str, float] = {}  # chat id -> the last change time the feed reported for it
        self.user_id: int | None = None

    async def aclose(self) -> None:
        if self.cable is not None:
            await self.cable.stop()
        await self._http.aclose()

    def replace_token(self, token: str) -> None:
        self._http.replace_token(token)

    # --- reading --------------------------------------------------------------------------------------------

    async def identity(self) -> Identity:
        profile = await self._http.request("GET", "/profile")
        accounts = profile.get("accounts") if isinstance(profile, dict) else None
        if not isinstance(accounts, list) or not isinstance(profile.get("id"), int):
            raise BadPayload("GET /profile: answer does not fit Chatwoot's API: no id or accounts")
        if not any(isinstance(a, dict) and a.get("id") == self.account.account_id for a in accounts):
            raise UnexpectedStatus(f"GET /profile: this token's agent is not a member of account "
                                   f"{self.account.account_id}", 403)
        self.user_id = self._delivery.user_id = profile["id"]
        self._pubsub_token = profile.get("pubsub_token")
        name = profile.get("available_name") or profile.get("name") or ""
        return Identity(agent_name=str(name), server_id=self.account.server_id)

    async def snapshot(self) -> Snapshot:
        """Every open, pending and snoozed conversation of the agent's, and those resolved in the last
        CLOSED_HISTORY_DAYS (an agent of years has thousands: 25 to a page, they would take minutes)."""
        chats = []
        for status in ("open", "pending", "snoozed"):
            chats += await self._my_conversations(since=None, status=status)
        chats += await self._my_conversations(since=time.time() - CLOSED_HISTORY_DAYS * 86400, status="resolved")
        self._seen = {chat.id: chat.updated_at for chat in chats}
        cursor = int(max((chat.updated_at for chat in chats), default=time.time()))
        return Snapshot(chats=chats, cursor=cursor)

    async def changes_after(self, cursor: int, wait: float) -> ChangeBatch:
        """Chats that changed since `cursor` (server time, epoch seconds); polls for up to `wait` seconds."""
        give_up_at = time.monotonic() + wait
        bell = self._doorbell() if wait else None
        while True:
            if bell is not None:
                bell.clear()  # an event from here on rings for the next poll, not this one
            changed = await self._changed_since(cursor)
            pause = self._quiet_poll_interval if self.cable and self.cable.connected else self._poll_interval
            pause = min(pause, give_up_at - time.monotonic())
            if changed or pause <= 0:
                break
            if bell is None:
                await asyncio.sleep(pause)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(bell.wait(), pause)
        for chat in changed:
            self._seen[chat.id] = chat.updated_at
        moved_to = max([cursor, *(int(chat.updated_at) for chat in changed)])
        return ChangeBatch(chats=changed, messages=[], cursor=moved_to,
                           stale_chats=tuple(chat.id for chat in changed))

    def _doorbell(self) -> asyncio.Event | None:
        """The websocket's bell, started on the first waiting pull (after identity gave the pubsub token)."""
        if not self._use_cable or not getattr(self, "_pubsub_token", None) or self.user_id is None:
            return None
        if self.cable is None:
            self._bell = asyncio.Event()
            parts = urlsplit(self.account.base_url)
            scheme = "wss" if parts.scheme == "https" else "ws"
            self.cable = CableDoorbell(f"{scheme}://{parts.netloc}{parts.path}/cable",
                                       {"channel": "RoomChannel", "pubsub_token": self._pubsub_token,
                                        "account_id": self.account.account_id, "user_id": self.user_id},
                                       self._bell)
            self.cable.start()
        return self._bell

    async def _changed_since(self, cursor: int) -> list[RemoteChat]:
        since = cursor - CURSOR_OVERLAP
        found = {chat.id: chat for chat in await self._my_conversations(since=since)}
        window = max(1, int(time.time() - since) + CLOCK_SKEW_ALLOWANCE)
        for chat in await self._conversations({"updated_within": window}):  # state, labels, priority
            found.setdefault(chat.id, chat)
        return [chat for chat in found.values() if chat.updated_at > self._seen.get(chat.id, float("-inf"))]

    async def _my_conversations(self, since: float | None, status: str = "all") -> list[RemoteChat]:
        """The agent's conversations, most recently active first, page by page (Chatwoot gives no page count):
        all of them, or those active since `since`."""
        chats: list[RemoteChat] = []
        page = 1
        while True:
            listed = await self._conversations({"page": page, "status": status})
            chats += [chat for chat in listed if since is None or chat.updated_at >= since]
            if not listed or since is not None and min(chat.updated_at for chat in listed) < since:
                return chats
            page += 1

    async def _conversations(self, params: dict) -> list[RemoteChat]:
        path = self._http.account_path("/conversations")
        body = await self._http.request("GET", path, params={"assignee_type": "me", "status": "all",
                                                        "sort_by": "last_activity_at_desc", **params})
        payload = (body.get("data") or {}).get("payload") if isinstance(body, dict) else None
        if not isinstance(payload, list):
            raise BadPayload(f"GET {path}: answer does not fit Chatwoot's API: no data.payload list")
        try:
            return [remote_chat(conversation) for conversation in payload]
        except Misfit as misfit:
            raise BadPayload(f"GET {path}: answer does not fit Chatwoot's API: {misfit}") from None

    async def messages_after(self, chat_id: str, after_seq: int) -> list[RemoteMessage]:
        """What follows `after_seq`; what this agent may no longer read (a permission 401, a 404) is skipped, so
        that one conversation out of reach does not stop the feed of all the others."""
        messages: list[RemoteMessage] = []
        while True:
            try:
                page = await self._http.messages(chat_id, {"after": after_seq})
            except RequestRejected:
                return messages
            for raw in page:
                if raw["id"] <= after_seq:
                    raise BadPayload(f"GET messages of {chat_id}: a message not after {after_seq}")
                after_seq = raw["id"]
                if (message := self._http.message(raw, chat_id)) is not None:
                    messages.append(message)
            if len(page) < MESSAGES_PAGE:
                return messages

    async def customer_profile(self, chat_id: str) -> dict:
        conversation = await self._http.request("GET", self._http.account_path(f"/conversations/{chat_id}"))
        contact_id = ((conversation.get("meta") or {}).get("sender") or {}).get("id")
        if contact_id is None:
            return {}
        body = await self._http.request("GET", self._http.account_path(f"/contacts/{contact_id}"))
        contact = body.get("payload", body) if isinstance(body, dict) else {}
        return {name: contact[field] for name, field in (("phone", "phone_number"), ("email", "email"))
                if isinstance(contact, dict) and contact.get(field)}

    async def customer_orders(self, chat_id: str, *, revealed: bool = False) -> list[Order]:
        return []  # Chatwoot keeps no orders

    async def order(self, order_no: str) -> Order | None:
        return None

    async def transfer_targets(self) -> list[str]:
        """The account's teams, then its agents, by the names a transfer takes."""
        names = []
        for path, field in (("/teams", "name"), ("/agents", "available_name")):
            listed = await self._http.request("GET", self._http.account_path(path))
            listed = listed.get("payload", listed) if isinstance(listed, dict) else listed
            names += [str(entry.get(field) or entry.get("name") or "") for entry in listed
                      if isinstance(entry, dict) and (entry.get(field) or entry.get("name"))]
        return names

    async def canned_responses(self) -> list[dict]:
        """The account's canned responses: [{id, short_code, content}]."""
        path = self._http.account_path("/canned_responses")
        listed = await self._http.request("GET", path)
        if not isinstance(listed, list) or not all(isinstance(entry, dict) and isinstance(entry.get("id"), int)
                                                   for entry in listed):
            raise BadPayload(f"GET {path}: answer does not fit Chatwoot's API: not a list of canned responses")
        return listed

    # --- writing --------------------------------------------------------------------------------------------

    async def deliver(self, items: list[OutboxItem]) -> list[Delivery]:
        return await self._delivery.deliver(items)
