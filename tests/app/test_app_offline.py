"""The console through an outage and a refusal, driven like an agent drives it (real backend, real proxy)."""

from __future__ import annotations

from console.app import AgentConsoleApp
from local_cache.reference_client import ReferenceApiClient
from tests.pilot_helpers import type_text, wait_until
from widgets.composer import Composer
from widgets.rejected_bar import RejectedBar
from widgets.transcript import Transcript


def app_via(proxy, tmp_path, token="test-agent-token", deadline=15.0) -> AgentConsoleApp:
    return AgentConsoleApp(
        tmp_path / "agent.sqlite3",
        lambda: ReferenceApiClient(proxy.url, token, deadline=deadline),
        long_poll_wait=1.0,
    )


def agent_texts(backend, chat_id) -> list[str]:
    return [m["text"] for m in backend.messages(chat_id) if m["author"] == "agent"]


async def test_a_whole_session_outage_then_recovery(tmp_path, reference_backend, fault_proxy):
    first = reference_backend.open_chat("林小雨", "app")
    second = reference_backend.open_chat("王建国", "wechat")
    reference_backend.customer_says(second, "快递呢？")
    app = app_via(fault_proxy, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.desk.sync_status and app.desk.sync_status.online
                         and second in app.desk.chats,
                         "online")
        # The customer who is waiting for an answer is at the top of the list, so that chat opens first.
        assert app.desk.current_chat_id == second

        # The outage starts with a push the backend never answers: the engine's request hangs.
        fault_proxy.plan("stall")
        await type_text(pilot, "第一条")
        await pilot.press("enter")
        await wait_until(pilot, lambda: fault_proxy.stalled_now == 1, "the push to hang")

        # Typing and sending go on while that request hangs.
        for n in range(2, 6):
            await pilot.press("alt+down")
            await type_text(pilot, f"第{n}条")
            assert app.desk.query_one(Composer).text == f"第{n}条"
            await pilot.press("enter")
        assert fault_proxy.stalled_now == 1, "all of that happened while the request was still hanging"
        # The hanging push reached the server: the change feed brings our own message back with its key, so
        # the console knows it arrived although the answer to the push never came.
        await wait_until(pilot, lambda: app.store.outbox.depth() == 4, "the feed to settle the first message")
        fault_proxy.refuse()  # and then the backend is unreachable altogether
        assert "… sending" in "\n".join(app.desk.query_one(Transcript).plain_lines())
        await wait_until(pilot, lambda: app.desk.sync_status.online is False, "the status bar to say offline")
        assert "offline since" in str(app.desk.query_one("#status-bar").render())

        fault_proxy.restore()
        await wait_until(pilot, lambda: app.store.outbox.depth() == 0, "the outbox to drain", timeout=40)
        await wait_until(pilot, lambda: app.desk.sync_status.online, "online again")
    assert agent_texts(reference_backend, second) == ["第一条", "第3条", "第5条"]
    assert agent_texts(reference_backend, first) == ["第2条", "第4条"]


async def test_a_rejected_message_is_shown_with_its_reason_and_can_be_edited_and_resent(
    tmp_path, reference_backend, fault_proxy
):
    chat_id = reference_backend.open_chat("陈静", "web")
    app = app_via(fault_proxy, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: chat_id in app.desk.chats and app.desk.sync_status.online, "the chat")
        # A permanent refusal of the first push only (the real server cannot be made to refuse valid text).
        fault_proxy.plan("422")
        await type_text(pilot, "退款已经处理")
        await pilot.press("enter")
        await type_text(pilot, "还有别的问题吗？")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.desk.query_one(RejectedBar).display, "the rejected bar")
        await wait_until(pilot, lambda: app.store.outbox.depth() == 0, "the next message to go through")
        transcript = "\n".join(app.desk.query_one(Transcript).plain_lines())
        assert "✗ rejected: HTTP 422" in transcript
        assert agent_texts(reference_backend, chat_id) == ["还有别的问题吗？"], "later items still delivered"

        await pilot.press("f4")  # edit: the text comes back into the composer
        assert app.desk.query_one(Composer).text == "退款已经处理"
        assert not app.desk.query_one(RejectedBar).display
        await type_text(pilot, "，请查收")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(agent_texts(reference_backend, chat_id)) == 2, "the resend")
    assert agent_texts(reference_backend, chat_id) == ["还有别的问题吗？", "退款已经处理，请查收"]


async def test_discarding_asks_first(tmp_path, reference_backend, fault_proxy):
    chat_id = reference_backend.open_chat("赵先生", "weibo")
    app = app_via(fault_proxy, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: chat_id in app.desk.chats and app.desk.sync_status.online, "the chat")
        fault_proxy.plan("422")
        await type_text(pilot, "这条会被拒绝")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.desk.query_one(RejectedBar).display, "the rejected bar")
        await pilot.press("f8")
        await pilot.press("n")
        assert len(app.store.outbox.rejected_items(chat_id)) == 1, "no means no"
        await pilot.press("f8")
        await pilot.press("y")
        assert app.store.outbox.rejected_items(chat_id) == []
        assert not app.desk.query_one(RejectedBar).display
    assert agent_texts(reference_backend, chat_id) == []


async def test_a_refused_token_pauses_sync_until_the_agent_signs_in_again(tmp_path, reference_backend, fault_proxy):
    chat_id = reference_backend.open_chat("Emily Carter", "web")
    app = app_via(fault_proxy, tmp_path, token="expired-token")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.desk.sync_status and app.desk.sync_status.auth_required, "the refusal")
        assert "sign-in needed" in str(app.desk.query_one("#status-bar").render())
        await type_text(pilot, reference_backend.token)  # the sign-in dialog opened by itself
        await pilot.press("enter")
        await wait_until(pilot, lambda: chat_id in app.desk.chats, "sync to resume")
        await type_text(pilot, "Yes, we ship to Canada.")
        await pilot.press("enter")
        await wait_until(pilot, lambda: agent_texts(reference_backend, chat_id), "the reply")
    assert agent_texts(reference_backend, chat_id) == ["Yes, we ship to Canada."]


async def test_a_refusal_in_the_right_hand_pane_brings_its_keys_to_the_footer(tmp_path, reference_backend,
                                                                              fault_proxy):
    first, second = reference_backend.open_chat("陈静", "web"), reference_backend.open_chat("赵先生", "weibo")
    app = app_via(fault_proxy, tmp_path)
    async with app.run_test(size=(160, 36)) as pilot:
        await wait_until(pilot, lambda: {first, second} <= set(app.desk.chats) and app.desk.sync_status.online,
                         "both chats")
        await pilot.press("ctrl+backslash")
        await wait_until(pilot, lambda: app.desk.side_chat_id is not None, "the split view")
        assert app.focused is app.desk.side_pane.composer
        fault_proxy.plan("422")
        await type_text(pilot, "这条会被拒绝")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.desk.side_pane.rejected_bar.display, "the right-hand rejected bar")
        await wait_until(pilot, lambda: "Resend" in app.export_screenshot(),
                         "f5 Resend in the footer, with no focus move")
