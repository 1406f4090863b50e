"""f12 sends a high-risk chat to the safety queue, through the outbox, after asking once with the reason
prefilled (real backend on 127.0.0.1)."""

from __future__ import annotations

from textual.widgets import Input

from tests.app.test_app_quick_replies import make_app, open_chat
from tests.pilot_helpers import type_text, wait_until
from widgets.screens.prompts import PromptScreen


async def test_f12_escalates_with_the_reason_and_keeps_the_transcript(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = await open_chat(pilot, app, reference_backend)
        reference_backend.customer_says(chat_id, "我不想活了")
        await wait_until(pilot, lambda: app.desk.chats[chat_id].high_risk == "high-risk-self-harm", "the mark")
        await pilot.press("f12")
        assert isinstance(app.screen, PromptScreen), "f12 asks first"
        assert app.screen.query_one(Input).value == "high risk (high-risk-self-harm)", "the matched rule, editable"
        assert app.store.outbox.items() == []
        await type_text(pilot, ", said 我不想活了")
        await pilot.press("enter")
        [priority, tag, transfer] = [item.body for item in app.store.outbox.items()]
        assert priority == {"type": "priority", "priority": "urgent"} and tag == {"type": "tag", "tags": ["high-risk"]}
        assert transfer == {"type": "transfer", "to": "safety-team",
                            "note": "high risk (high-risk-self-harm), said 我不想活了"}
        await wait_until(pilot, lambda: all(item.state == "sent" for item in app.store.outbox.items()), "delivery")
        chat = reference_backend.chat(chat_id)
        assert (chat["state"], chat["priority"]) == ("transferred", "urgent")
        customer_says = [m["text"] for m in reference_backend.messages(chat_id) if m["author"] == "customer"]
        assert customer_says[-2:] == ["杯子碎了，我要退款", "我不想活了"], "the transcript goes with the chat"


async def test_f12_offline_queues_the_escalation_and_it_lands_when_the_backend_returns(
    tmp_path, reference_backend, fault_proxy
):
    from tests.app.test_chat_workflow import make_app as app_at

    chat_id = reference_backend.open_chat("陈静", "web")
    reference_backend.customer_says(chat_id, "我不想活了")
    app = app_at(tmp_path, fault_proxy.url, reference_backend.token)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: chat_id in app.desk.chats and app.desk.chats[chat_id].high_risk, "the mark")
        fault_proxy.refuse()
        await wait_until(pilot, lambda: app.desk.sync_status.online is False, "offline")
        await pilot.press("f12", "enter")  # the reason as suggested
        assert (app.desk.chats[chat_id].state, app.desk.chats[chat_id].priority) == ("transferred", "urgent")
        assert app.desk.chats[chat_id].tags == ("high-risk",)
        assert reference_backend.chat(chat_id)["state"] == "opened", "nothing reached the backend yet"
        fault_proxy.restore()
        await wait_until(pilot, lambda: app.store.outbox.depth() == 0, "the outbox to drain", timeout=30)
    chat = reference_backend.chat(chat_id)
    assert (chat["state"], chat["priority"], chat["tags"]) == ("transferred", "urgent", ["high-risk"])


async def test_escape_in_the_escalation_dialog_queues_nothing(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = await open_chat(pilot, app, reference_backend)
        await pilot.press("f12")
        assert app.screen.query_one(Input).value == "high risk (agent's judgement)", "no rule matched: the agent's call"
        await pilot.press("escape")
        assert not isinstance(app.screen, PromptScreen)
        assert app.store.outbox.items() == []
        assert (app.desk.chats[chat_id].state, app.desk.chats[chat_id].tags) == ("opened", ())
