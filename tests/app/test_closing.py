"""Closing well: the shop's satisfaction invite goes out as a chat is closed (when one is configured), and a chat
quiet since the agent's reply is offered for closing, never closed by itself (Pilot, real backend)."""

from __future__ import annotations

from console.app import AgentConsoleApp
from local_cache.reference_client import ReferenceApiClient
from tests.pilot_helpers import type_text, wait_until

INVITE = "感谢您的咨询，请为本次服务评分 ⭐"


def make_app(tmp_path, backend, **options) -> AgentConsoleApp:
    return AgentConsoleApp(tmp_path / "agent.sqlite3", lambda: ReferenceApiClient(backend.url, backend.token),
                           **options)


def agent_texts(backend, chat_id) -> list[str]:
    return [m["text"] for m in backend.messages(chat_id) if m["author"] == "agent"]


async def close_with_f7(tmp_path, backend, chat_id, **options) -> None:
    app = make_app(tmp_path, backend, **options)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == chat_id and app.desk.sync_status.online,
                         "the chat")
        await pilot.press("f7")
        await wait_until(pilot, lambda: app.screen.is_modal, "the close prompt")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.store.outbox.depth() == 0, "delivery")


async def test_closing_sends_the_invite_first(tmp_path, reference_backend):
    chat_id = reference_backend.open_chat("陈静", "web")
    reference_backend.customer_says(chat_id, "好的，谢谢")
    await close_with_f7(tmp_path, reference_backend, chat_id, satisfaction_invite=INVITE)
    assert agent_texts(reference_backend, chat_id) == [INVITE]
    assert reference_backend.chat(chat_id)["state"] == "closed"


async def test_without_an_invite_closing_sends_nothing(tmp_path, reference_backend):
    chat_id = reference_backend.open_chat("赵先生", "web")
    await close_with_f7(tmp_path, reference_backend, chat_id)
    assert agent_texts(reference_backend, chat_id) == []


async def test_a_chat_quiet_since_the_reply_is_offered_for_closing_once(tmp_path, reference_backend):
    import time

    now = [time.time()]
    chat_id = reference_backend.open_chat("Emily Carter", "web")
    reference_backend.customer_says(chat_id, "Thanks!")
    app = make_app(tmp_path, reference_backend, clock=lambda: now[0], idle_close_minutes=10)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == chat_id and app.desk.sync_status.online,
                         "the chat")
        await type_text(pilot, "Anything else I can help with?")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.store.outbox.depth() == 0, "the reply delivered")
        await pilot.pause(0.2)

        def offers():
            return [text for text in app.alert_history if "has not written for 10 min" in text]

        now[0] += 9 * 60
        app.desk.offer_idle_chats()
        assert offers() == [], "not before its time"
        now[0] += 2 * 60
        app.desk.offer_idle_chats()
        app.desk.offer_idle_chats()
        assert offers() == ["Emily Carter has not written for 10 min since your reply: f7 closes the chat."]
        assert app.desk.chats[chat_id].state != "closed", "offered, never closed by itself"
