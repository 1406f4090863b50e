"""Opt-in: the adapter against a real Chatwoot account. Skipped unless these are set:

    AGENT_CONSOLE_CHATWOOT_URL            chatwoot+https://HOST/ACCOUNT_ID
    AGENT_CONSOLE_CHATWOOT_TOKEN          an agent's access token
    AGENT_CONSOLE_CHATWOOT_CONVERSATION   a conversation assigned to that agent, safe to write test messages to

It sends two private notes (never to the customer) and checks what the fake Chatwoot stands in for: identity,
the conversation in the agent's list, a note created once, and an ambiguous retry that finds it instead of
sending it again.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest

from local_cache.chatwoot_address import chatwoot_account
from local_cache.chatwoot_client import ChatwootClient
from local_cache.models import OutboxItem

URL, TOKEN, CONVERSATION = (os.environ.get(f"AGENT_CONSOLE_CHATWOOT_{name}") for name in
                            ("URL", "TOKEN", "CONVERSATION"))
pytestmark = pytest.mark.skipif(not (URL and TOKEN and CONVERSATION),
                                reason="no real Chatwoot given (AGENT_CONSOLE_CHATWOOT_URL, _TOKEN, _CONVERSATION)")


def test_a_real_chatwoot_account_behaves_as_the_fake_does():
    async def run():
        client = ChatwootClient(chatwoot_account(URL), TOKEN)
        try:
            identity = await client.identity()
            snapshot = await client.snapshot()
            assert CONVERSATION in {chat.id for chat in snapshot.chats}, "the conversation is assigned to the agent"
            text = f"agent-console contract check {uuid.uuid4()} (private note)"
            item = OutboxItem(1, str(uuid.uuid4()), CONVERSATION, "action",
                              {"type": "transfer", "to": "", "note": ""}, "queued", 0, None, time.time())
            first = await client._delivery.send_once(CONVERSATION, item, text, private=True)
            again = await client._delivery.send_once(CONVERSATION, OutboxItem(**{**item.__dict__, "attempts": 1}), text,
                                            private=True)
            assert first is not None and again is not None and again.id == first.id, "found, not sent twice"
            after = await client.messages_after(CONVERSATION, first.seq - 1)
            assert [m.text for m in after].count(f"Internal note: {text}") == 1
            return identity
        finally:
            await client.aclose()

    identity = asyncio.run(run())
    assert identity.server_id.startswith("chatwoot:")
