"""Internal notes in the agent's store: queued and delivered like messages, shown as notes, and never taken for
the agent's answer (the customer's wait, the reply deadline, unread counts, today's first-response figures)."""

from __future__ import annotations

import asyncio
import sqlite3

from local_cache.database import MIGRATIONS
from local_cache.models import RemoteChat, RemoteMessage
from local_cache.reference_client import ReferenceApiClient
from local_cache.sla import SlaPolicy, nearest_deadline
from local_cache.store import LocalStore
from local_cache.sync_engine import SyncEngine

T0 = 1_795_000_000.0


def chat(chat_id="ch_1") -> RemoteChat:
    return RemoteChat(chat_id, "陈静", "", False, "web", "opened", "normal", T0, T0)


def message(seq, author, private=False, at=None) -> RemoteMessage:
    return RemoteMessage(f"m{seq}", "ch_1", seq, author, f"text {seq}", at or T0 + seq, private=private)


def test_a_note_is_queued_with_private_in_its_body_and_shown_as_a_note(tmp_path):
    store = LocalStore(tmp_path / "agent.sqlite3", clock=lambda: T0 + 50)
    store.chats.apply_changes([chat()], [message(1, "customer")])
    note = store.outbox.enqueue_message("ch_1", "客户是第二次来问  \n", private=True)
    reply = store.outbox.enqueue_message("ch_1", "您好")
    assert note.body == {"text": "客户是第二次来问", "private": True}
    assert reply.body == {"text": "您好"}, "a message's body is what it always was"
    assert [(e.text, e.private, e.delivery) for e in store.chats.transcript("ch_1")] == [
        ("text 1", False, None), ("客户是第二次来问", True, "sending"), ("您好", False, "sending")]
    store.close()


def test_a_note_is_no_answer_to_the_waiting_customer(tmp_path):
    store = LocalStore(tmp_path / "agent.sqlite3", clock=lambda: T0 + 50)
    store.chats.apply_changes([chat()], [message(1, "customer")])
    store.outbox.enqueue_message("ch_1", "先查物流", private=True)
    [summary] = store.chats.summaries()
    assert summary.waiting_since == T0 + 1, "a queued note answers nobody"
    assert nearest_deadline(summary, SlaPolicy()).kind == "reply"
    # Delivered, the server's copy of the note is no answer either; nor does it become the list's preview.
    store.chats.apply_changes([], [message(2, "agent", private=True)])
    [summary] = store.chats.summaries()
    assert summary.waiting_since == T0 + 1 and summary.last_message_preview == "text 1"
    store.chats.apply_changes([], [message(3, "agent")])
    assert store.chats.summaries()[0].waiting_since is None, "the reply is the answer"
    store.chats.apply_changes([], [message(4, "agent", private=True, at=T0 + 100), message(5, "customer")])
    assert store.chats.summaries()[0].unread == 2  # customer messages only: a note is not one to read
    store.close()


def test_todays_first_response_skips_notes(tmp_path):
    day = T0 - T0 % 86400
    store = LocalStore(tmp_path / "agent.sqlite3", clock=lambda: day + 3600)
    opened = RemoteChat("ch_1", "陈静", "", False, "web", "in_progress", "normal", day + 60, day + 60)
    store.chats.apply_changes([opened], [
        RemoteMessage("m1", "ch_1", 1, "customer", "在吗", day + 60),
        RemoteMessage("m2", "ch_1", 2, "agent", "查一下", day + 65, private=True),
        RemoteMessage("m3", "ch_1", 3, "agent", "在的", day + 100),
    ])
    metrics = store.chats.day_metrics(day, SlaPolicy(), {s.id: s for s in store.chats.summaries()})
    assert metrics.median_first_response == 40.0, "answered at the reply, not at the note"
    assert metrics.reply_breaches == 1
    store.close()


def test_the_notes_migration_upgrades_a_store_that_has_messages(tmp_path):
    path = tmp_path / "agent.sqlite3"
    conn = sqlite3.connect(path)
    for number, script in enumerate(MIGRATIONS[:-1], start=1):
        conn.executescript(script)
        conn.execute(f"PRAGMA user_version={number}")
    conn.execute("INSERT INTO chats (id, customer_name, channel, state, priority, created_at, updated_at) "
                 "VALUES ('ch_1', '陈静', 'web', 'opened', 'normal', 1, 1)")
    conn.execute("INSERT INTO messages (id, chat_id, seq, author, text, created_at) "
                 "VALUES ('m1', 'ch_1', 1, 'agent', 'hi', 2)")
    conn.execute("INSERT INTO drafts (chat_id, text, updated_at) VALUES ('ch_1', '您好', 3)")
    conn.commit()
    conn.close()
    store = LocalStore(path)
    assert [e.private for e in store.chats.transcript("ch_1")] == [False]
    assert store.drafts.draft("ch_1") == ("您好", False)
    store.close()


def test_a_draft_keeps_note_mode_even_before_anything_is_typed(tmp_path):
    store = LocalStore(tmp_path / "agent.sqlite3")
    store.drafts.save("ch_1", "", note=True)
    store.drafts.save("ch_2", "稍等")
    assert (store.drafts.draft("ch_1"), store.drafts.draft("ch_2")) == (("", True), ("稍等", False))
    store.drafts.save("ch_1", "", note=False)
    assert store.drafts.draft("ch_1") == ("", False) and store.drafts.get("ch_1") == ""
    store.close()


def test_a_note_reaches_the_backend_private_once_and_comes_back_a_note(tmp_path, reference_backend):
    chat_id = reference_backend.open_chat("陈静")
    reference_backend.customer_says(chat_id, "杯子碎了")
    path = tmp_path / "agent.sqlite3"

    def sync_once():
        engine = SyncEngine(lambda: LocalStore(path),
                            lambda: ReferenceApiClient(reference_backend.url, reference_backend.token))
        return asyncio.run(engine.sync_once())

    sync_once()
    store = LocalStore(path)
    store.outbox.enqueue_message(chat_id, "先问仓库", private=True)
    store.outbox.enqueue_message(chat_id, "马上为您处理")
    assert sync_once().sent == 2
    assert [(m["text"], m["private"]) for m in reference_backend.messages(chat_id)] == [
        ("杯子碎了", False), ("先问仓库", True), ("马上为您处理", False)]
    assert [(e.text, e.private, e.delivery) for e in store.chats.transcript(chat_id)] == [
        ("杯子碎了", False, None), ("先问仓库", True, "sent"), ("马上为您处理", False, "sent")]
    store.close()
