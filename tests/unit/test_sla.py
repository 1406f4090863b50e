"""Deadlines from the response-time standards, and the urgency order of the chat list (no clock needed)."""

from __future__ import annotations

import dataclasses

from local_cache.models import ChatSummary
from local_cache.sla import SlaPolicy, deadlines, effective_priority, nearest_deadline, urgency_order

T0 = 1_795_000_000.0


def chat(chat_id: str, *, state="opened", priority="normal", opened=T0, waiting=None, vip=False, risk=""):
    return ChatSummary(
        id=chat_id, customer_name=chat_id, customer_title="", vip=vip, channel="web", state=state,
        priority=priority, last_message_preview="", unread=0, waiting_since=waiting, high_risk=risk,
        created_at=opened, opened_at=opened,
    )


def test_a_waiting_customer_has_a_30_second_reply_deadline_that_warns_in_its_last_10_seconds():
    reply = nearest_deadline(chat("a", waiting=T0 + 100), SlaPolicy())
    assert (reply.kind, reply.due, reply.warn_at) == ("reply", T0 + 130, T0 + 120)
    assert [reply.status(T0 + t) for t in (100, 119.9, 120, 129.9, 130, 500)] == [
        "calm", "calm", "warning", "warning", "breached", "breached"]


def test_handling_limits_follow_the_priority_and_warn_in_their_last_fifth():
    for priority, limit in [("urgent", 300), ("important", 1800), ("normal", 7200)]:
        (handle,) = deadlines(chat("a", priority=priority), SlaPolicy())
        assert (handle.kind, handle.label, handle.due, handle.warn_at) == (
            "handle", priority, T0 + limit, T0 + limit * 0.8)


def test_limits_come_from_the_policy():
    policy = SlaPolicy(first_response=100, limits={"urgent": 60, "important": 600, "normal": 6000})
    assert [d.due for d in deadlines(chat("a", priority="urgent", waiting=T0), policy)] == [T0 + 60, T0 + 100]


def test_rules_raise_the_priority_of_high_risk_and_vip_chats():
    assert effective_priority(chat("a", risk="high-risk-threat")) == "urgent"
    assert effective_priority(chat("a", vip=True)) == "important"
    assert effective_priority(chat("a", vip=True, priority="urgent")) == "urgent"
    assert effective_priority(chat("a", priority="bogus")) == "normal"


def test_transferred_and_closed_chats_run_no_timers():
    assert deadlines(chat("a", state="transferred", waiting=T0), SlaPolicy()) == []
    assert deadlines(chat("a", state="closed"), SlaPolicy()) == []
    assert len(deadlines(chat("a", state="in_progress", waiting=T0), SlaPolicy())) == 2


def test_the_list_puts_breached_first_then_least_time_left_then_transferred_then_closed():
    chats = [
        chat("closed", state="closed", opened=T0 - 9000),
        chat("calm", opened=T0 - 10),  # handling due in ~2 h
        chat("transferred", state="transferred", waiting=T0 - 500),
        chat("reply-soon", waiting=T0 - 25),  # 5 s left
        chat("late-longest", waiting=T0 - 100),  # 70 s late
        chat("late", priority="urgent", opened=T0 - 320),  # urgent handling 20 s late
    ]
    assert [c.id for c in urgency_order(chats, SlaPolicy())] == [
        "late-longest", "late", "reply-soon", "calm", "transferred", "closed"]


def test_the_order_depends_on_deadlines_not_on_the_clock():
    # Deadlines are absolute: only new data (a reply, a message, a priority) can reorder the list.
    chats = [chat("b", waiting=T0 + 5), chat("a", priority="urgent", opened=T0 - 1000)]
    order = [c.id for c in urgency_order(chats, SlaPolicy())]
    replied = [dataclasses.replace(c, waiting_since=None) if c.id == "b" else c for c in chats]
    assert order == ["a", "b"]
    assert [c.id for c in urgency_order(replied, SlaPolicy())] == ["a", "b"]
    assert [c.id for c in urgency_order(chats[::-1], SlaPolicy())] == order


def test_a_high_risk_chat_comes_first_until_it_is_handed_on():
    chats = [
        chat("late-longest", waiting=T0 - 100),
        chat("self-harm", waiting=T0 - 20, risk="high-risk-self-harm"),  # 10 s left to reply, but at risk
        chat("escalated", state="transferred", risk="high-risk-threat"),
        chat("closed-risk", state="closed", risk="high-risk-abuse"),
    ]
    assert [c.id for c in urgency_order(chats, SlaPolicy())] == [
        "self-harm", "late-longest", "escalated", "closed-risk"]
