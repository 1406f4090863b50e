"""Sending to Chatwoot exactly once, in order, without a stored key.

Chatwoot's create is not idempotent, and it keeps no key a client could look for: `echo_id` is echoed but not
stored, and content_attributes keeps only Chatwoot's own keys (MessageBuilder). So before an item that may have
gone out already (any earlier attempt: a timeout, a reset after the request left, a 5xx, a 422, a killed
sender) is sent again, the conversation is searched for the message that attempt would have made: outgoing,
from this agent, with this text, made after the item was queued and above the last message this console
settled there (items leave in order, so the same text sent twice is two messages). That one is the item's.
The limit: the same agent sending the same text from another client (Chatwoot's web app) in that window.

A create fails with 422 for any reason. The flood limit ("Too many messages") is waited out however long it
lasts; any other 422 is retried (after the lookup) and rejects the item only when it keeps failing. Chat
actions map to Chatwoot's (toggle_status, labels, toggle_priority, assignments with the transfer note as a
private message).
"""

from __future__ import annotations

import dataclasses

from local_cache.backend_client import (
    BackendUnavailable,
    BadPayload,
    Delivery,
    RequestRejected,
    UnexpectedStatus,
)
from local_cache.chatwoot_http import ChatwootHttp
from local_cache.chatwoot_mapping import CHATWOOT_PRIORITY, Misfit, message_request, remote_chat
from local_cache.models import OutboxItem, RemoteChat, RemoteMessage

FLOODED = "Too many messages"  # the 422 of Chatwoot's per-conversation flood limit (200 a minute by default)
FLOOD_WAIT = 10.0  # s before a flooded conversation is tried again: its window is a minute
FAILED_CREATE_RETRIES = 8  # any other 422 on a create, this many times in a row, rejects the item
CLOCK_SKEW_ALLOWANCE = 120  # s: how far the server's clock may be off ours, wherever times are compared


class ChatwootDelivery:
    def __init__(self, http: ChatwootHttp):
        self._http = http
        self.user_id: int | None = None  # this agent's, once the profile is read: only its messages are ours
        self._earlier: dict[str, list[dict]] = {}  # see deliver()

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
                # A note is Chatwoot's private message (MessageBuilder takes `private` as given); the lookup after
                # an ambiguous attempt matches on it too, so a note never settles a reply of the same text.
                message = await self.send_once(item.chat_id, item, str(item.body.get("text", "")),
                                               private=item.body.get("private") is True)
                return Delivery(item.idempotency_key, True, message=message)
            await self._apply_action(item)
        except RequestRejected as refused:
            return Delivery(item.idempotency_key, False, error=refused.detail)
        # The conversation as Chatwoot has it now: the action's effect, and what Chatwoot did along with it.
        return Delivery(item.idempotency_key, True, chat=await self._reread(item.chat_id))

    async def _reread(self, chat_id: str) -> RemoteChat | None:
        """None when the conversation is out of this agent's reach now (a transfer took it away): the feed says
        so at its next poll."""
        try:
            conversation = await self._http.request("GET", self._http.account_path(f"/conversations/{chat_id}"))
            return remote_chat(conversation)
        except (RequestRejected, Misfit):
            return None

    async def send_once(self, chat_id: str, item: OutboxItem, text: str, private: bool = False
                         ) -> RemoteMessage | None:
        """Create the message unless an earlier attempt did: any earlier attempt may have (the answer is what
        was lost), so that message is looked for first."""
        if item.attempts:
            found = await self._find_sent(chat_id, item, text, private)
            if found is not None:
                return self._keyed(found, chat_id, item)
        path = self._http.account_path(f"/conversations/{chat_id}/messages")
        try:
            created = await self._http.request("POST", path, json=message_request(text, item.idempotency_key, private))
        except RequestRejected as refused:
            if refused.status == 422 and FLOODED in refused.detail:
                # The per-conversation limit of a minute: it lifts, however long the backlog.
                raise BackendUnavailable(refused.detail, retry_after=FLOOD_WAIT) from None
            if refused.status == 422 and item.attempts < FAILED_CREATE_RETRIES:
                # Chatwoot answers 422 to any failed create (a callback's error after the commit too): the
                # lookup before the next try tells a create that happened from one that did not.
                raise BackendUnavailable(refused.detail) from None
            raise
        if not isinstance(created, dict) or not isinstance(created.get("id"), int):
            raise BadPayload(f"POST {path}: answer does not fit Chatwoot's API: no message id")
        return self._keyed(created, chat_id, item)

    def _keyed(self, raw: dict, chat_id: str, item: OutboxItem) -> RemoteMessage | None:
        """The message as the cache keeps it: with the outbox key Chatwoot could not keep for us."""
        message = self._http.message(raw, chat_id)
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
            page = await self._http.messages(chat_id, params)
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
            await self.send_once(item.chat_id, item, f"Transfer to {to}: {note}", private=True)
        await self._post(item.chat_id, "/assignments", target)

    async def _assignee(self, name: str) -> dict:
        """A team or an agent of the account, by name (case and spacing aside): as the transfer prompt asks."""
        wanted = " ".join(name.split()).casefold()
        for path, field in (("/teams", "team_id"), ("/agents", "assignee_id")):
            listed = await self._http.request("GET", self._http.account_path(path))
            listed = listed.get("payload", listed) if isinstance(listed, dict) else listed
            for entry in listed if isinstance(listed, list) else []:
                names = {str(entry.get(n) or "") for n in ("name", "available_name", "email")}
                if wanted in {" ".join(n.split()).casefold() for n in names if n}:
                    return {field: entry["id"]}
        raise RequestRejected(f"no team or agent named {name!r} in this Chatwoot account", 422)

    async def _post(self, chat_id: str, action: str, body: dict) -> None:
        await self._http.request("POST", self._http.account_path(f"/conversations/{chat_id}{action}"), json=body)
