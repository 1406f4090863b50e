"""Internal notes on Chatwoot (the fake, checked against Chatwoot's OpenAPI spec): a note goes out as Chatwoot's
private message, and a private message made in Chatwoot comes in as a note, never as a reply or a system line."""

from __future__ import annotations

import asyncio

from local_cache.store import LocalStore
from tests.unit.test_chatwoot_sync import chatwoot, engine  # noqa: F401  (the fixture, the engine)


def test_a_note_is_posted_private_and_stays_a_note(chatwoot, tmp_path):  # noqa: F811
    conversation = chatwoot.add_conversation(chatwoot.add_contact("陈静"))
    chatwoot.customer_says(conversation, "快递到哪了？")
    path = tmp_path / "agent.sqlite3"
    asyncio.run(engine(chatwoot.url, chatwoot.token, path).sync_once())
    store = LocalStore(path)
    store.outbox.enqueue_message(str(conversation), "先查物流再回复", private=True)
    store.outbox.enqueue_message(str(conversation), "马上为您查询")
    assert asyncio.run(engine(chatwoot.url, chatwoot.token, path).sync_once()).waiting == 0
    posted = [(m["content"], m["message_type"], m["private"]) for m in chatwoot.messages(conversation)]
    assert posted == [("快递到哪了？", 0, False), ("先查物流再回复", 1, True), ("马上为您查询", 1, False)]
    entries = store.chats.transcript(str(conversation))
    assert [(e.author, e.text, e.private, e.delivery) for e in entries] == [
        ("customer", "快递到哪了？", False, None), ("agent", "先查物流再回复", True, "sent"),
        ("agent", "马上为您查询", False, "sent")]
    store.close()


def test_a_private_note_made_in_chatwoot_comes_in_as_a_note(chatwoot, tmp_path):  # noqa: F811
    conversation = chatwoot.add_conversation(chatwoot.add_contact("Emily"))
    chatwoot.customer_says(conversation, "Where is my parcel?")
    chatwoot.add_private_note(conversation, "VIP: call back before 5pm")  # a colleague, in Chatwoot's web app
    path = tmp_path / "agent.sqlite3"
    asyncio.run(engine(chatwoot.url, chatwoot.token, path).sync_once())
    store = LocalStore(path)
    [customer, note] = store.chats.transcript(str(conversation))
    assert (note.author, note.text, note.private) == ("agent", "VIP: call back before 5pm", True)
    [summary] = store.chats.summaries()
    assert summary.waiting_since == customer.created_at, "a colleague's note is no answer to the customer"
    assert summary.last_message_preview == "Where is my parcel?"
    store.close()
