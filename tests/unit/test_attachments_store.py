"""Attachments from the backend to the transcript: checked at the client, kept in the store, mapped from Chatwoot."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from local_cache.attachments import usable_attachments
from local_cache.chatwoot_address import chatwoot_account
from local_cache.chatwoot_client import ChatwootClient
from local_cache.models import Attachment, RemoteChat, RemoteMessage
from local_cache.payloads import MessagesAnswer, Misfit, fit
from local_cache.reference_client import ReferenceApiClient, remote_message
from local_cache.store import LocalStore
from local_cache.sync_engine import SyncEngine
from tests.fake_chatwoot.control import FakeChatwoot
from tests.reference_backend import AGENT_TOKEN

PHOTO = Attachment(id="at_1", name="破损.jpg", type="image/jpeg", size=48213, url="https://cdn.example.com/1.jpg")


def chat(chat_id="ch_1") -> RemoteChat:
    return RemoteChat(id=chat_id, customer_name="陈静", customer_title="", vip=False, channel="web", state="opened",
                      priority="normal", created_at=1.0, updated_at=1.0)


def test_attachments_survive_the_store_and_a_replay(tmp_path):
    store = LocalStore(tmp_path / "agent.sqlite3")
    shot = Attachment(id="at_2", name="截图.png", type="image/png", size=0, url="http://x.example/截图.png")
    message = RemoteMessage(id="m_1", chat_id="ch_1", seq=1, author="customer", text="", created_at=2.0,
                            attachments=(PHOTO, shot))
    plain = RemoteMessage(id="m_2", chat_id="ch_1", seq=2, author="customer", text="在吗", created_at=3.0)
    store.chats.apply_changes([chat()], [message, plain])
    store.chats.apply_changes([], [message])  # the feed replays a message unchanged
    first, second = store.chats.transcript("ch_1")
    assert first.attachments == (PHOTO, shot) and first.text == ""
    assert second.attachments == ()
    assert store.conn.execute("SELECT attachments FROM messages WHERE id='m_2'").fetchone()[0] is None
    store.close()
    reopened = LocalStore(tmp_path / "agent.sqlite3")
    assert reopened.chats.transcript("ch_1")[0].attachments == (PHOTO, shot)
    reopened.close()


def message_json(attachments) -> bytes:
    return json.dumps({"messages": [{"id": "m_1", "chat_id": "ch_1", "seq": 1, "author": "customer", "text": "看图",
                                     "created_at": 1.0, "attachments": attachments}]}).encode()


def test_hostile_attachments_are_dropped_one_by_one_with_a_reason(caplog):
    good = {"id": "at_1", "name": "a.jpg", "type": "image/jpeg", "size": 10, "url": "https://e.x/a.jpg"}
    hostile = [
        good,
        "https://e.x/a.jpg",  # not an object
        good | {"name": 7},
        good | {"size": "10"},
        good | {"size": True},
        good | {"size": -5},
        good | {"url": None},
        good | {"url": "https://e.x/" + "a" * 3000},
        good | {"type": "x/" + "y" * 200},
        good | {"name": "n" * 10_000, "url": "javascript:alert(1)"},  # kept: cut, and refused when opened
    ]
    with caplog.at_level(logging.WARNING, logger="local_cache.attachments"):
        [message] = fit(message_json(hostile), MessagesAnswer).messages
        kept = remote_message(message).attachments
    assert [a.url for a in kept] == ["https://e.x/a.jpg", "javascript:alert(1)"]
    assert len(kept[1].name) == 255 and kept[1].name.endswith("…")
    reasons = [record.getMessage() for record in caplog.records]
    assert len(reasons) == 8 and all("message 'm_1': attachments[" in reason for reason in reasons)
    assert any("size is not a number of bytes" in reason for reason in reasons)


def test_attachments_that_are_not_a_list_refuse_the_answer_naming_the_field():
    with pytest.raises(Misfit, match=r"messages\[0\].attachments"):
        fit(message_json({"name": "a"}), MessagesAnswer)
    assert usable_attachments([{}] * 20, "m") == ()
    assert len(usable_attachments([{"name": "a", "type": "", "size": 0, "url": "u"}] * 20, "m")) == 10


def test_the_reference_client_brings_a_customers_photo(reference_backend, tmp_path):
    chat_id = reference_backend.open_chat("陈静")
    reference_backend.customer_says(chat_id, "", [{"name": "破损.jpg", "type": "image/jpeg", "size": 5,
                                                   "url": "https://cdn.example.com/破损.jpg"}])

    async def pull():
        client = ReferenceApiClient(reference_backend.url, AGENT_TOKEN)
        try:
            return await client.messages_after(chat_id, 0)
        finally:
            await client.aclose()

    [message] = asyncio.run(pull())
    (photo,) = message.attachments
    assert (photo.name, photo.type, photo.size, photo.url) == ("破损.jpg", "image/jpeg", 5,
                                                               "https://cdn.example.com/破损.jpg")


@pytest.fixture
def chatwoot():
    with FakeChatwoot(validator="tests.fake_chatwoot.contract_check") as fake:
        yield fake
        assert fake.contract_violations() == [], "every exchange fits Chatwoot's published API"


def test_chatwoot_attachments_become_attachments_not_text(chatwoot, tmp_path):
    conversation = chatwoot.add_conversation(chatwoot.add_contact("陈静"))
    blob = "https://chat.example.com/rails/active_storage/blobs/redirect/eyJfcmFpbHMi--1f2e/%E7%A0%B4%E6%8D%9F.jpg"
    chatwoot.customer_says(conversation, "照片已经拍好了", attachments=[
        {"file_type": "image", "extension": "jpg", "data_url": blob, "file_size": 48213},
        {"file_type": "file", "extension": None, "data_url": "https://chat.example.com/blobs/x/invoice",
         "file_size": 900},
    ])
    chatwoot.customer_says(conversation, None, attachments=[
        {"file_type": "location", "data_url": "https://maps.example.com/?q=1,2", "fallback_title": "家",
         "coordinates_lat": 1.0, "coordinates_long": 2.0},
        {"file_type": "contact", "fallback_title": "+86 138"},  # no link: nothing to open, left out
    ])
    path = tmp_path / "agent.sqlite3"
    account = chatwoot_account(f"chatwoot+{chatwoot.url}/1")
    asyncio.run(SyncEngine(lambda: LocalStore(path), lambda: ChatwootClient(account, chatwoot.token,
                                                                             poll_interval=0.1)).sync_once())
    store = LocalStore(path)
    photo_message, bare = store.chats.transcript(str(conversation))
    assert photo_message.text == "照片已经拍好了", "no more '[image attachment]' in the text"
    photo, invoice = photo_message.attachments
    assert (photo.name, photo.type, photo.size, photo.url) == ("破损.jpg", "image/jpeg", 48213, blob)
    assert (invoice.name, invoice.type, invoice.size) == ("invoice", "", 900)
    assert bare.text == ""
    assert [(a.name, a.url) for a in bare.attachments] == [("家", "https://maps.example.com/?q=1,2")]
    store.close()
