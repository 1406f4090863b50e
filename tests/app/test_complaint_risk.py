"""Complaint risk (12315, a bad review, going public): a customer's message marks the chat apart from the high-risk
(safety) mark, kept across restarts, and neither escalates the chat nor changes its priority."""

from __future__ import annotations

import sqlite3

from console.incoming_checks import INCOMING_CHECK_LIMIT, check_customer_messages
from local_cache.database import MIGRATIONS, SCHEMA_VERSION
from local_cache.models import ChatSummary, RemoteChat, RemoteMessage
from local_cache.sla import effective_priority
from local_cache.store import LocalStore
from quick_replies.lint_rules import load_rules
from quick_replies.linter import Linter
from tests.app.test_app_quick_replies import make_app, open_chat
from tests.pilot_helpers import wait_until
from widgets.chat_list import ChatList, chat_row_parts

T0 = 1_790_000_000.0
COMPLAINT = "再不处理我就打12315投诉你们"
# The schema just before the complaint columns: what an agent's existing store file holds.
PREVIOUS_VERSION = next(number for number, sql in enumerate(MIGRATIONS) if "complaint_rule" in sql)


# --- the check in the worker (the real bundled rules) -----------------------------------------------------------

def test_complaint_and_high_risk_are_found_apart_and_the_first_of_each_is_kept():
    linter = Linter(load_rules())
    batch = {
        "complaint": [(1, "你好"), (2, COMPLAINT + "，电话13812345678"), (3, "我要给你们差评")],
        "risk": [(1, "钱要不回来我真的不想活了")],
        "both": [(1, "我要投诉"), (2, "钱要不回来我真的不想活了")],
        "clean": [(1, "好的谢谢"), (2, "thanks for your help")],
    }
    results = {result.chat_id: result for result in check_customer_messages(linter, batch, INCOMING_CHECK_LIMIT)}

    complaint = results["complaint"]
    assert (complaint.last_seq, complaint.risk, complaint.unchecked) == (3, None, 0)
    rule, message, excerpt = complaint.complaint
    assert rule == "complaint-risk" and "complaint risk" in message
    assert "12315" in excerpt, "the first complaint message, not the later 差评"
    assert "138****5678" in excerpt and "13812345678" not in excerpt, "the stored excerpt is masked"

    assert results["risk"].risk[0] == "high-risk-self-harm" and results["risk"].complaint is None
    assert results["both"].risk[0] == "high-risk-self-harm" and results["both"].complaint[0] == "complaint-risk"
    assert (results["clean"].risk, results["clean"].complaint, results["clean"].last_seq) == (None, None, 2)


# --- the store -------------------------------------------------------------------------------------------------

def put_chat(store: LocalStore, chat_id="ch_1") -> None:
    store.chats.apply_changes([RemoteChat(chat_id, "林小雨", "", False, "app", "opened", "normal", T0, T0)],
                        [RemoteMessage(f"{chat_id}-m1", chat_id, 1, "customer", COMPLAINT, T0 + 1)])


def complaint_row(store: LocalStore, chat_id="ch_1") -> tuple:
    row = store.conn.execute("SELECT complaint_rule, complaint_excerpt, complaint_at FROM chat_risk WHERE chat_id=?",
                             (chat_id,)).fetchone()
    return tuple(row)


def test_the_first_complaint_mark_is_kept_across_a_reopen_and_apart_from_high_risk(tmp_path):
    path = tmp_path / "agent.sqlite3"
    store = LocalStore(path, clock=lambda: T0 + 100)
    put_chat(store)
    store.audit.record_risk_check("ch_1", 1, complaint_rule="complaint-risk", complaint_excerpt="打12315投诉")
    store.close()

    store = LocalStore(path, clock=lambda: T0 + 200)
    [chat] = store.chats.summaries()
    assert (chat.complaint_risk, chat.high_risk, chat.priority) == ("complaint-risk", "", "normal")
    store.audit.record_risk_check("ch_1", 2, complaint_rule="team-complaint", complaint_excerpt="later")
    store.audit.record_risk_check("ch_1", 3)  # a clean message clears nothing
    assert complaint_row(store) == ("complaint-risk", "打12315投诉", T0 + 100), "the first one, with its excerpt"
    store.audit.record_risk_check("ch_1", 4, "high-risk-threat", "信不信我找人收拾你")
    [chat] = store.chats.summaries()
    assert (chat.complaint_risk, chat.high_risk) == ("complaint-risk", "high-risk-threat")
    assert store.audit.unchecked_customer_messages("ch_1") == []
    store.close()


def test_a_store_made_by_the_previous_schema_is_migrated_and_keeps_its_high_risk_mark(tmp_path):
    path = tmp_path / "agent.sqlite3"
    old = sqlite3.connect(path)
    for sql in MIGRATIONS[:PREVIOUS_VERSION]:
        old.executescript(sql)
    old.execute(f"PRAGMA user_version={PREVIOUS_VERSION}")
    old.execute("INSERT INTO chats (id, customer_name, channel, state, priority, created_at, updated_at, opened_at) "
                "VALUES ('ch_1', '林小雨', 'app', 'opened', 'normal', ?, ?, ?)", (T0, T0, T0))
    old.execute("INSERT INTO chat_risk (chat_id, checked_seq, rule, excerpt, marked_at, unchecked) "
                "VALUES ('ch_1', 5, 'high-risk-threat', '信不信我找人收拾你', ?, 1)", (T0,))
    old.commit()
    old.close()

    store = LocalStore(path, clock=lambda: T0 + 100)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    [chat] = store.chats.summaries()
    assert (chat.high_risk, chat.unchecked, chat.complaint_risk) == ("high-risk-threat", 1, "")
    store.audit.record_risk_check("ch_1", 6, complaint_rule="complaint-risk", complaint_excerpt="差评")
    [chat] = store.chats.summaries()
    assert (chat.high_risk, chat.complaint_risk) == ("high-risk-threat", "complaint-risk")
    assert store.audit.unchecked_customer_messages("ch_1") == []
    store.close()


# --- the chat list row -----------------------------------------------------------------------------------------

def summary(**marks) -> ChatSummary:
    return ChatSummary(id="ch_1", customer_name="林小雨", customer_title="", vip=False, channel="app",
                       state="opened", priority="normal", last_message_preview="", unread=0, waiting_since=None,
                       created_at=T0, opened_at=T0, **marks)


def name_line(chat: ChatSummary):
    return chat_row_parts(1, chat, None, T0)[0][0]


def test_the_row_shows_the_complaint_mark_unless_the_high_risk_mark_outranks_it():
    complaint = name_line(summary(complaint_risk="complaint-risk"))
    assert "! complaint risk" in complaint.plain and "high risk" not in complaint.plain
    both = name_line(summary(complaint_risk="complaint-risk", high_risk="high-risk-threat"))
    assert "⚠ high risk" in both.plain and "complaint" not in both.plain


# --- end to end: a real backend on 127.0.0.1, the real store --------------------------------------------------

def complaint_alerts(app) -> list[str]:
    return [text for text in app.alert_history if text.startswith("Complaint risk from ")]


async def test_a_complaining_customer_marks_the_chat_once_without_escalating_it(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = await open_chat(pilot, app, reference_backend)
        before = app.desk.chats[chat_id]
        reference_backend.customer_says(chat_id, COMPLAINT)
        await wait_until(pilot, lambda: app.desk.chats[chat_id].complaint_risk == "complaint-risk", "the mark")
        chat = app.desk.chats[chat_id]
        chat_list = app.desk.query_one(ChatList)
        row = chat_list.row_text(chat_list.chat_ids.index(chat_id))
        assert "! complaint risk" in row and "high risk" not in row
        assert chat.high_risk == ""
        assert (chat.priority, effective_priority(chat)) == (before.priority, effective_priority(before))
        assert not [item for item in app.store.outbox.items() if item.kind == "action"], "nothing escalated"
        assert complaint_alerts(app) == [f"Complaint risk from {chat.customer_name}: {complaint_rule_message(app)}"]
        assert not any(text.startswith("High-risk") for text in app.alert_history)

        reference_backend.customer_says(chat_id, "我要给你们差评")  # the chat is marked already: no second alert
        await wait_until(pilot, lambda: "差评" in app.desk.chats[chat_id].last_message_preview
                         and app.store.audit.unchecked_customer_messages(chat_id) == [], "the second message checked")
        assert len(complaint_alerts(app)) == 1

    again = make_app(tmp_path, reference_backend)  # the mark survives a restart, and is not re-raised
    async with again.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: chat_id in again.desk.chats, "the cached chat")
        assert (again.desk.chats[chat_id].complaint_risk, again.desk.chats[chat_id].high_risk) == ("complaint-risk", "")
        assert complaint_alerts(again) == []


def complaint_rule_message(app) -> str:
    """The bundled rule's message, as the alert quotes it."""
    return next(rule.message for rule in app.linter.rules if rule.id == "complaint-risk")


def test_the_stored_excerpt_never_cuts_a_number_in_two():
    from console.incoming_checks import marked_by
    from quick_replies.lint_rules import load_rules
    from quick_replies.linter import Linter

    text = "我要投诉你们" + "啊" * 12 + "，电话13812345678"
    [finding] = [f for f in Linter(load_rules()).lint(text, "incoming") if f.category == "complaint_risk"]
    rule, message, excerpt = marked_by(finding, text)
    assert excerpt.endswith("电话138****5678"), "the whole number, masked, not its first digits in clear"
