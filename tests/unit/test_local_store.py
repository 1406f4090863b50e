"""The agent's SQLite store: migrations, idempotent upserts, the outbox's durability, what the UI reads."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from local_cache.backend_client import Delivery
from local_cache.database import SCHEMA_VERSION, StoreError
from local_cache.models import RemoteChat, RemoteMessage
from local_cache.store import LocalStore, profile_path

T0 = 1_790_000_000.0


def chat(chat_id="ch_1", state="opened", name="林小雨") -> RemoteChat:
    return RemoteChat(chat_id, name, "", False, "app", state, "normal", T0, T0)


def message(seq, author="customer", chat_id="ch_1", text=None, at=None, client_key=None) -> RemoteMessage:
    return RemoteMessage(f"{chat_id}-m{seq}", chat_id, seq, author, text or f"msg {seq}", at or T0 + seq, client_key)


@pytest.fixture
def store(tmp_path):
    store = LocalStore(tmp_path / "agent.sqlite3", clock=lambda: T0 + 100)
    yield store
    store.close()


def test_migrates_an_empty_file_to_the_current_schema(tmp_path):
    path = tmp_path / "fresh.sqlite3"
    LocalStore(path).close()
    db = sqlite_utils.Database(sqlite3.connect(path))
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert {"meta", "chats", "messages", "outbox"} <= set(db.table_names())
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    LocalStore(path).close()  # reopening runs no migration twice
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_refuses_a_store_from_a_newer_version(tmp_path):
    path = tmp_path / "future.sqlite3"
    LocalStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this agent-console"):
        LocalStore(path)


def test_a_corrupt_file_is_a_clear_error_naming_it(tmp_path):
    path = tmp_path / "corrupt.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as error:
        LocalStore(path)
    assert str(path) in str(error.value)
    assert path.read_bytes().startswith(b"this is not a database"), "the file is left as it was"


def test_replayed_changes_never_duplicate(store):
    batch = ([chat()], [message(1), message(2)])
    store.chats.apply_changes(*batch, cursor=5)
    store.chats.apply_changes(*batch, cursor=5)
    store.chats.apply_changes([chat(state="in_progress")], [message(2)], cursor=6)
    db = sqlite_utils.Database(store.conn)
    assert db["chats"].count == 1 and db["messages"].count == 2
    assert store.chats.summaries()[0].state == "in_progress"
    assert store.chats.feed_cursor() == 6


def test_an_outbox_row_survives_closing_and_reopening(tmp_path):
    path = tmp_path / "agent.sqlite3"
    store = LocalStore(path)
    store.chats.apply_changes([chat()], [message(1)])
    item = store.outbox.enqueue_message("ch_1", "您好，我来帮您查询  \n\n")
    store.close()

    reopened = LocalStore(path)
    [survivor] = reopened.outbox.items()
    assert survivor.idempotency_key == item.idempotency_key
    assert (survivor.state, survivor.body) == ("queued", {"text": "您好，我来帮您查询"})
    assert reopened.chats.transcript("ch_1")[-1].delivery == "sending"
    reopened.close()


def test_interrupted_sends_go_back_to_queued(store):
    store.chats.apply_changes([chat()], [])
    item = store.outbox.enqueue_message("ch_1", "hello")
    store.outbox.mark_sending([item])
    assert store.outbox.requeue_interrupted() == 1
    [again] = store.outbox.items()
    assert (again.state, again.attempts) == ("queued", 1)


def test_empty_and_oversized_messages_are_refused_before_queueing(store):
    with pytest.raises(ValueError):
        store.outbox.enqueue_message("ch_1", "  \n ")
    with pytest.raises(ValueError, match="limit"):
        store.outbox.enqueue_message("ch_1", "字" * 5001)
    assert store.outbox.items() == []


def test_own_message_arriving_by_feed_settles_the_outbox_row(store):
    store.chats.apply_changes([chat()], [message(1)])
    item = store.outbox.enqueue_message("ch_1", "稍等")
    assert [e.delivery for e in store.chats.transcript("ch_1")] == [None, "sending"]

    # The change feed brings our message before the POST's answer does.
    store.chats.apply_changes([], [message(2, "agent", text="稍等", client_key=item.idempotency_key)])
    entries = store.chats.transcript("ch_1")
    assert [(e.author, e.text, e.delivery) for e in entries] == [("customer", "msg 1", None), ("agent", "稍等", "sent")]
    assert store.outbox.depth() == 0


def test_unread_and_waiting_since(store):
    store.chats.apply_changes([chat()], [message(1), message(2)])
    [summary] = store.chats.summaries()
    assert (summary.unread, summary.waiting_since) == (2, T0 + 1)

    store.chats.mark_read("ch_1")
    store.outbox.enqueue_message("ch_1", "您好")  # a queued reply already answers, from the agent's side
    [summary] = store.chats.summaries()
    assert (summary.unread, summary.waiting_since) == (0, None)

    store.chats.apply_changes([], [message(3, at=T0 + 500)])
    [summary] = store.chats.summaries()
    assert (summary.unread, summary.waiting_since, summary.last_message_preview) == (1, T0 + 500, "msg 3")


def test_closed_chats_sort_last_and_do_not_wait(store):
    store.chats.apply_changes(
        [chat("ch_a", state="closed", name="A"), chat("ch_b", name="B")], [message(1, chat_id="ch_a")]
    )
    summaries = store.chats.summaries()
    assert [s.id for s in summaries] == ["ch_b", "ch_a"]
    assert summaries[1].waiting_since is None


def test_profile_names_become_safe_file_names(tmp_path):
    assert profile_path(tmp_path, "../../etc/passwd").parent == tmp_path / "profiles"
    assert profile_path(tmp_path, "客服小王").name == "客服小王.sqlite3"


def test_a_message_sent_despite_linter_errors_is_followed_by_a_line_with_the_reason(store):
    from local_cache.models import LintOverride

    store.chats.apply_changes([chat()], [message(1)])
    findings = [{"rule": "privacy-red-flag", "level": "error"}, {"rule": "pii-mobile", "level": "error"},
                {"rule": "pii-mobile", "level": "error"}]
    item = store.outbox.enqueue_message("ch_1", "请提供手机号", LintOverride("客户要求回电", findings))
    expected = ("system", "Sent despite privacy-red-flag, pii-mobile: 客户要求回电")
    assert [(e.author, e.text) for e in store.chats.transcript("ch_1")][1:] == [("agent", "请提供手机号"), expected]
    assert store.chats.transcript("ch_1")[-1].system_event == (
        "override", "privacy-red-flag, pii-mobile", "客户要求回电")

    store.chats.apply_changes([], [message(2, "agent", text="请提供手机号", client_key=item.idempotency_key)])
    entries = store.chats.transcript("ch_1")
    assert [(e.author, e.text, e.seq) for e in entries] == [
        ("customer", "msg 1", 1), ("agent", "请提供手机号", 2), (*expected, 2)]
    assert [(e.author, e.seq) for e in store.chats.transcript("ch_1", after_seq=1)] == [("agent", 2), ("system", 2)]


def test_the_override_reason_stays_with_a_resent_message_and_leaves_a_rejected_one(store):
    from local_cache.models import LintOverride

    store.chats.apply_changes([chat()], [])
    item = store.outbox.enqueue_message("ch_1", "身份证号多少", LintOverride("核实身份", [{"rule": "pii-id"}]))
    store.outbox.mark_sending([item])
    store.outbox.apply_deliveries([item], [Delivery(item.idempotency_key, False, error="HTTP 422 no")])
    assert [e.author for e in store.chats.transcript("ch_1")] == ["agent"], "not sent: no 'sent despite' line"
    again = store.outbox.resend(item.id)
    assert [e.text for e in store.chats.transcript("ch_1")] == ["身份证号多少", "Sent despite pii-id: 核实身份"]
    assert [o["outbox_key"] for o in store.audit.lint_overrides()] == [again.idempotency_key]


def test_a_transfer_is_a_system_line_from_the_outbox_until_the_server_records_its_own(store):
    store.chats.apply_changes([chat()], [message(1)])
    item = store.outbox.enqueue_action("ch_1",
                                       {"type": "transfer", "to": "refund-team", "note": "customer wants a callback"})
    store.outbox.enqueue_action("ch_1", {"type": "tag", "tags": ["refund"]})  # no line for a tag
    [line] = store.chats.transcript("ch_1")[1:]
    assert (line.author, line.text, line.delivery, line.system_event) == (
        "system", "Transferred to refund-team: customer wants a callback", "sending",
        ("transfer", "refund-team", "customer wants a callback"))

    server_line = RemoteMessage("m-t", "ch_1", 2, "system", "Transferred to refund-team: customer wants a callback",
                                T0 + 50, item.idempotency_key)
    store.outbox.mark_sending([item])
    store.outbox.apply_deliveries([item], [Delivery(item.idempotency_key, True, message=server_line)])
    [line] = store.chats.transcript("ch_1")[1:]
    assert (line.key, line.delivery, line.seq, line.system_event) == (
        "m-t", None, 2, ("transfer", "refund-team", "customer wants a callback"))

    store.chats.apply_changes([], [RemoteMessage("m-x", "ch_1", 3, "system", "Transferred to 2nd-line", T0 + 60)])
    assert store.chats.transcript("ch_1")[-1].system_event == (), "another console's transfer: as the server wrote it"


def test_a_rejected_transfer_leaves_no_line(store):
    store.chats.apply_changes([chat()], [])
    item = store.outbox.enqueue_action("ch_1", {"type": "transfer", "to": "nobody", "note": ""})
    store.outbox.mark_sending([item])
    store.outbox.apply_deliveries([item], [Delivery(item.idempotency_key, False, error="HTTP 422 no such team")])
    assert store.chats.transcript("ch_1") == []


def test_a_transcript_read_finds_unsent_items_and_override_reasons_by_index(tmp_path):
    # Read on every new message and every chat switch: the outbox keeps every item sent and the override audit
    # trail only grows, so a scan of either would make each read slower with every day of work.
    from local_cache.chat_views import PENDING_ITEMS, SERVER_MESSAGES

    store = LocalStore(tmp_path / "agent.sqlite3")
    plans = " ".join(row[3] for query in (SERVER_MESSAGES, PENDING_ITEMS)
                     for row in store.conn.execute("EXPLAIN QUERY PLAN " + query, ("ch_1", 0)[:query.count("?")]))
    store.close()
    assert "SCAN" not in plans.replace("SCAN CONSTANT", ""), plans


def test_a_draft_is_kept_per_chat_until_it_is_emptied(store):
    store.drafts.save("ch_1", "您好，订单号是")
    store.drafts.save("ch_2", "稍等")
    store.drafts.save("ch_1", "您好，订单号是123")
    assert (store.drafts.get("ch_1"), store.drafts.get("ch_2")) == ("您好，订单号是123", "稍等")
    store.drafts.save("ch_1", "  \n")
    assert store.drafts.get("ch_1") == ""
    assert store.conn.execute("SELECT COUNT(*) FROM drafts").fetchone()[0] == 1, "an empty draft leaves no row"


def test_reply_usage_counts_every_use_of_a_reply(store):
    store.reply_usage.record("faq:refund")
    store.reply_usage.record("faq:refund")
    store.reply_usage.record("reply:greeting")
    assert store.reply_usage.counts() == {"faq:refund": (2, T0 + 100), "reply:greeting": (1, T0 + 100)}


def test_a_refused_override_leaves_neither_the_message_nor_an_audit_line(store):
    from local_cache.models import LintOverride

    with pytest.raises(ValueError, match="needs a reason"):
        store.outbox.enqueue_message("ch_1", "身份证号多少", LintOverride("  ", [{"rule": "pii-id"}]))
    assert store.outbox.items() == [] and store.audit.lint_overrides() == []
