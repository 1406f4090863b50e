"""BackendClient for a Chatwoot account (its Application API, with the agent's access token).

The same guarantees as against the reference API, which Chatwoot's own API does not give by itself:
- exactly once: Chatwoot's create is not idempotent. Each message carries its outbox key in
  content_attributes; before an item that may have gone out already (any earlier attempt: a timeout, a reset
  after the request left, a 5xx, a 422, a killed sender) is sent again, the conversation's recent messages are
  searched for that key, and a message found settles the item;
- in order, one item at a time (a failure leaves the rest queued behind it);
- nothing lost from the feed: chats are polled by last activity (new messages) and by `updated_within` (state,
  labels, priority), and each changed chat's messages are fetched after what the feed has brought so far.
  Chatwoot's websocket (ActionCable) only rings the bell for an early poll (local_cache/chatwoot_cable.py): it
  replays nothing after a reconnect, so it is never the truth.

Errors, as Chatwoot gives them: 401 "Invalid Access Token" is a bad token (sync pauses for a new one); any other
401 refuses one request (that item is rejected); 429 (per IP and minute, usually without Retry-After) and 5xx
are transient; a create fails with 422 for any reason, a per-conversation flood limit included, so a 422 is
retried (after the key lookup) and an item is rejected only when it keeps failing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from urllib.parse import urlsplit

import httpx

from local_cache.backend_client import (
    AuthenticationRejected,
    BackendUnavailable,
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
from local_cache.chatwoot_mapping import (
    CHATWOOT_PRIORITY,
    Misfit,
    message_request,
    remote_chat,
    remote_message,
)
from local_cache.models import OutboxItem, RemoteChat, RemoteMessage

REQUEST_DEADLINE = 15.0
CONNECT_TIMEOUT = 5.0
POLL_INTERVAL = 2.0  # s between two looks at the conversation list while a pull waits and the socket is down
QUIET_POLL_INTERVAL = 15.0  # the same while the socket is up: its events ring for the polls that matter
MESSAGES_PAGE = 100  # Chatwoot's most messages per `after=` page
# A time in the cursor is the server's; this much overlap (and skew) is asked for again, and seen chats are
# told apart by their own times, so nothing that changed within the same second is missed.
CURSOR_OVERLAP = 5
CLOCK_SKEW_ALLOWANCE = 120  # s added to `updated_within`, which counts back from the server's clock
CLOSED_HISTORY_DAYS = 7
FLOOD_RETRIES = 8  # a create refused (422) this many times in a row is rejected: it is not the flood limit
INVALID_TOKEN = "Invalid Access Token"


class ChatwootClient:
    sparse_seqs = True  # message ids are global: a chat's ids have gaps by design
    batch_limit = 20

    def __init__(self, account: ChatwootAccount, token: str, *, deadline: float = REQUEST_DEADLINE,
                 poll_interval: float = POLL_INTERVAL, quiet_poll_interval: float = QUIET_POLL_INTERVAL,
                 use_cable: bool = True, transport=None):
        self.account = account
        self._deadline, self._poll_interval = deadline, poll_interval
        self._quiet_poll_interval, self._use_cable = quiet_poll_interval, use_cable
        self._bell: asyncio.Event | None = None
        self.cable: CableDoorbell | None = None
        self._http = httpx.AsyncClient(
            base_url=account.base_url + "/api/v1",
            headers={"api_access_token": token},
            timeout=httpx.Timeout(deadline, connect=CONNECT_TIMEOUT),
            transport=transport,
        )
        self._seen: dict[str, float] = {}  # chat id -> the last change time the feed reported for it
        self._earlier: dict[str, list[dict]] = {}  # see deliver()
        self.user_id: int | None = None

    async def aclose(self) -> None:
        if self.cable is not None:
            await self.cable.stop()
        await self._http.aclose()

    def replace_token(self, token: str) -> None:
        self._http.headers["api_access_token"] = token

    # --- reading --------------------------------------------------------------------------------------------

    async def identity(self) -> Identity:
        profile = await self._request("GET", "/profile")
        accounts = profile.get("accounts") if isinstance(profile, dict) else None
        if not isinstance(accounts, list) or not isinstance(profile.get("id"), int):
            raise BadPayload("GET /profile: answer does not fit Chatwoot's API: no id or accounts")
        if not any(isinstance(a, dict) and a.get("id") == self.account.account_id for a in accounts):
            raise UnexpectedStatus(f"GET /profile: this token's agent is not a member of account "
                                   f"{self.account.account_id}", 403)
        self.user_id = profile["id"]
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
        path = self._account_path("/conversations")
        body = await self._request("GET", path, params={"assignee_type": "me", "status": "all",
                                                        "sort_by": "last_activity_at_desc", **params})
        payload = (body.get("data") or {}).get("payload") if isinstance(body, dict) else None
        if not isinstance(payload, list):
            raise BadPayload(f"GET {path}: answer does not fit Chatwoot's API: no data.payload list")
        try:
            return [remote_chat(conversation) for conversation in payload]
        except Misfit as misfit:
            raise BadPayload(f"GET {path}: answer does not fit Chatwoot's API: {misfit}") from None

    async def messages_after(self, chat_id: str, after_seq: int) -> list[RemoteMessage]:
        messages: list[RemoteMessage] = []
        while True:
            page = await self._messages(chat_id, {"after": after_seq})
            for raw in page:
                if raw["id"] <= after_seq:
                    raise BadPayload(f"GET messages of {chat_id}: a message not after {after_seq}")
                after_seq = raw["id"]
                if (message := self._message(raw, chat_id)) is not None:
                    messages.append(message)
            if len(page) < MESSAGES_PAGE:
                return messages

    async def _messages(self, chat_id: str, params: dict) -> list[dict]:
        path = self._account_path(f"/conversations/{chat_id}/messages")
        body = await self._request("GET", path, params=params)
        payload = body.get("payload") if isinstance(body, dict) else None
        if not isinstance(payload, list) or not all(isinstance(m, dict) and isinstance(m.get("id"), int)
                                                    for m in payload):
            raise BadPayload(f"GET {path}: answer does not fit Chatwoot's API: no payload list of messages")
        return sorted(payload, key=lambda message: message["id"])

    def _message(self, raw: dict, chat_id: str) -> RemoteMessage | None:
        try:
            return remote_message(raw, chat_id)
        except Misfit as misfit:
            raise BadPayload(f"messages of {chat_id}: answer does not fit Chatwoot's API: {misfit}") from None

    async def customer_profile(self, chat_id: str) -> dict:
        conversation = await self._request("GET", self._account_path(f"/conversations/{chat_id}"))
        contact_id = ((conversation.get("meta") or {}).get("sender") or {}).get("id")
        if contact_id is None:
            return {}
        body = await self._request("GET", self._account_path(f"/contacts/{contact_id}"))
        contact = body.get("payload", body) if isinstance(body, dict) else {}
        return {name: contact[field] for name, field in (("phone", "phone_number"), ("email", "email"))
                if isinstance(contact, dict) and contact.get(field)}

    async def transfer_targets(self) -> list[str]:
        """The account's teams, then its agents, by the names a transfer takes."""
        names = []
        for path, field in (("/teams", "name"), ("/agents", "available_name")):
            listed = await self._request("GET", self._account_path(path))
            listed = listed.get("payload", listed) if isinstance(listed, dict) else listed
            names += [str(entry.get(field) or entry.get("name") or "") for entry in listed
                      if isinstance(entry, dict) and (entry.get(field) or entry.get("name"))]
        return names

    async def canned_responses(self) -> list[dict]:
        """The account's canned responses: [{id, short_code, content}]."""
        path = self._account_path("/canned_responses")
        listed = await self._request("GET", path)
        if not isinstance(listed, list) or not all(isinstance(entry, dict) and isinstance(entry.get("id"), int)
                                                   for entry in listed):
            raise BadPayload(f"GET {path}: answer does not fit Chatwoot's API: not a list of canned responses")
        return listed

    # --- writing --------------------------------------------------------------------------------------------

    async def deliver(self, items: list[OutboxItem]) -> list[Delivery]:
        deliveries: list[Delivery] = []
        settled: dict[str, int] = {}  # chat -> the highest message id this call settled there
        # Each chat's messages from before this call, read once for every item that needs a lookup: after an
        # interruption every item of the batch counts as attempted, and one read per item made a restart crawl.
        self._earlier = {}
        for item in items:
            # An item's floor was read before this call: the messages settled just now are above it, and an
            # earlier item's message must never pass for this one's (the same text sent twice is two messages).
            item = dataclasses.replace(item, sent_floor=max(item.sent_floor, settled.get(item.chat_id, 0)))
            try:
                delivery = await self._deliver_one(item)
                deliveries.append(delivery)
                if delivery.message is not None:
                    settled[item.chat_id] = max(settled.get(item.chat_id, 0), delivery.message.seq)
            except (BackendUnavailable, BadPayload, UnexpectedStatus):
                if deliveries:
                    return deliveries  # settled stays settled; this one and the rest go again, keys unchanged
                raise
        return deliveries

    async def _deliver_one(self, item: OutboxItem) -> Delivery:
        try:
            if item.kind == "message":
                message = await self._send_once(item.chat_id, item, str(item.body.get("text", "")))
                return Delivery(item.idempotency_key, True, message=message)
            await self._apply_action(item)
            return Delivery(item.idempotency_key, True)
        except RequestRejected as refused:
            return Delivery(item.idempotency_key, False, error=refused.detail)

    async def _send_once(self, chat_id: str, item: OutboxItem, text: str, private: bool = False
                         ) -> RemoteMessage | None:
        """Create the message unless an earlier attempt did: any earlier attempt may have (the answer is what
        was lost), so that message is looked for first."""
        if item.attempts:
            found = await self._find_sent(chat_id, item, text, private)
            if found is not None:
                return self._keyed(found, chat_id, item)
        path = self._account_path(f"/conversations/{chat_id}/messages")
        try:
            created = await self._request("POST", path, json=message_request(text, item.idempotency_key, private))
        except RequestRejected as refused:
            if refused.status == 422 and item.attempts < FLOOD_RETRIES:
                # Chatwoot answers 422 to every failed create, its flood limit too: wait and try again.
                raise BackendUnavailable(refused.detail) from None
            raise
        if not isinstance(created, dict) or not isinstance(created.get("id"), int):
            raise BadPayload(f"POST {path}: answer does not fit Chatwoot's API: no message id")
        return self._keyed(created, chat_id, item)

    def _keyed(self, raw: dict, chat_id: str, item: OutboxItem) -> RemoteMessage | None:
        """The message as the cache keeps it: with the outbox key Chatwoot could not keep for us."""
        message = self._message(raw, chat_id)
        return dataclasses.replace(message, client_key=item.idempotency_key) if message is not None else None

    async def _find_sent(self, chat_id: str, item: OutboxItem, text: str, private: bool) -> dict | None:
        """The message an earlier attempt at `item` made, if any: the oldest that fits, above the item's floor."""
        if chat_id not in self._earlier:
            self._earlier[chat_id] = await self._messages_back_to(chat_id, item.created_at - CLOCK_SKEW_ALLOWANCE,
                                                                 item.sent_floor)
        return next((message for message in self._earlier[chat_id]
                     if message["id"] > item.sent_floor and self._made_by_attempt(message, text, private)), None)

    async def _messages_back_to(self, chat_id: str, since: float, floor: int) -> list[dict]:
        """The chat's messages, oldest first, from the newest back to `since` or to id `floor`."""
        pages: list[list[dict]] = []
        params: dict = {}
        while True:
            page = await self._messages(chat_id, params)
            pages.insert(0, page)
            if not page or page[0]["id"] <= floor or (page[0].get("created_at") or 0) < since:
                return [message for page in pages for message in page]
            params = {"before": page[0]["id"]}

    def _made_by_attempt(self, message: dict, text: str, private: bool) -> bool:
        sender = message.get("sender") or {}
        return (message.get("message_type") in (1, "outgoing") and bool(message.get("private")) == private
                and (self.user_id is None or sender.get("id") == self.user_id)
                and (message.get("content") or "").strip() == text.strip())

    async def _apply_action(self, item: OutboxItem) -> None:
        body, chat_id = item.body, item.chat_id
        kind = body.get("type")
        if kind == "close":
            await self._post(chat_id, "/toggle_status", {"status": "resolved"})
        elif kind == "tag":
            await self._post(chat_id, "/labels", {"labels": list(body.get("tags") or [])})
        elif kind == "priority":
            await self._post(chat_id, "/toggle_priority",
                             {"priority": CHATWOOT_PRIORITY.get(body.get("priority"), None)})
        elif kind == "transfer":
            await self._transfer(item)
        else:
            raise RequestRejected(f"a {kind!r} action has no Chatwoot counterpart", 422)

    async def _transfer(self, item: OutboxItem) -> None:
        to, note = str(item.body.get("to", "")).strip(), str(item.body.get("note", "")).strip()
        target = await self._assignee(to)
        if note:  # before the assignment: once it is gone, the conversation may be out of this agent's reach
            await self._send_once(item.chat_id, item, f"Transfer to {to}: {note}", private=True)
        await self._post(item.chat_id, "/assignments", target)

    async def _assignee(self, name: str) -> dict:
        """A team or an agent of the account, by name (case and spacing aside): as the transfer prompt asks."""
        wanted = " ".join(name.split()).casefold()
        for path, field in (("/teams", "team_id"), ("/agents", "assignee_id")):
            listed = await self._request("GET", self._account_path(path))
            listed = listed.get("payload", listed) if isinstance(listed, dict) else listed
            for entry in listed if isinstance(listed, list) else []:
                names = {str(entry.get(n) or "") for n in ("name", "available_name", "email")}
                if wanted in {" ".join(n.split()).casefold() for n in names if n}:
                    return {field: entry["id"]}
        raise RequestRejected(f"no team or agent named {name!r} in this Chatwoot account", 422)

    async def _post(self, chat_id: str, action: str, body: dict) -> None:
        await self._request("POST", self._account_path(f"/conversations/{chat_id}{action}"), json=body)

    # --- HTTP -----------------------------------------------------------------------------------------------

    def _account_path(self, path: str) -> str:
        return f"/accounts/{self.account.account_id}{path}"

    async def _request(self, method: str, path: str, **kwargs):
        endpoint = f"{method} {path}"
        try:
            async with asyncio.timeout(self._deadline):
                response = await self._http.request(method, path, **kwargs)
        except TimeoutError:
            raise BackendUnavailable(f"{endpoint}: no complete answer within the deadline") from None
        except httpx.HTTPError as error:
            raise BackendUnavailable(f"{endpoint}: {type(error).__name__}: {error}") from None
        status = response.status_code
        reason = error_text(response)
        if 200 <= status < 300:
            if not response.content.strip():
                return None  # toggle_priority answers `head :ok`
            try:
                return response.json()
            except ValueError:
                raise BadPayload(f"{endpoint}: answer is not JSON") from None
        detail = f"{endpoint}: HTTP {status} {reason}"
        if status == 401 and INVALID_TOKEN.casefold() in reason.casefold():
            raise AuthenticationRejected(detail)
        if status == 429 or status >= 500 or status == 408:
            raise BackendUnavailable(detail, retry_after=retry_after(response, status))
        if status in (401, 403, 404, 422, 400):  # about this request: a permission, a conversation gone, ...
            raise RequestRejected(detail, status)
        raise UnexpectedStatus(detail, status)


def error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict):
        for name in ("error", "message", "errors"):
            if body.get(name):
                value = body[name]
                return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)[:200]
    return response.reason_phrase


def retry_after(response: httpx.Response, status: int) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    return 5.0 if status == 429 else None  # Chatwoot's limit is per minute, and it rarely says when
