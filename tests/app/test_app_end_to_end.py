"""The console driven like an agent drives it, against a real reference backend on 127.0.0.1."""

from __future__ import annotations

import re

from console.app import AgentConsoleApp
from local_cache.reference_client import ReferenceApiClient
from tests.pilot_helpers import type_text, wait_until
from widgets.chat_list import ChatList
from widgets.composer import Composer
from widgets.transcript import Transcript


def make_app(tmp_path, backend) -> AgentConsoleApp:
    return AgentConsoleApp(
        tmp_path / "agent.sqlite3", lambda: ReferenceApiClient(backend.url, backend.token), long_poll_wait=2.0
    )


def transcript_text(app) -> str:
    return "\n".join(app.desk.query_one(Transcript).plain_lines())


async def test_customer_message_reaches_list_and_transcript(tmp_path, reference_backend, terminal_writes):
    chat_id = reference_backend.open_chat("林小雨", "app")
    reference_backend.customer_says(chat_id, "你好，请问有M码吗？")
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: chat_id in app.desk.chats, "the chat to arrive")
        assert app.desk.current_chat_id == chat_id
        assert "你好，请问有M码吗？" in transcript_text(app)

        reference_backend.customer_says(chat_id, "今天能发货吗")  # arrives through the change feed
        await wait_until(pilot, lambda: "今天能发货吗" in transcript_text(app), "the live message")
        # The transcript is painted first; the list follows a frame later (CATCH_UP_DELAY), so wait for it too.
        await wait_until(pilot, lambda: app.desk.chats[chat_id].last_message_preview == "今天能发货吗",
                         "the chat list's preview to follow")
        frame = await screen_text(pilot, terminal_writes)
        assert frame.count("今天能发货吗") == 2, "once in the chat list, once in the transcript"
        assert app.desk.query_one(ChatList).chat_ids == [chat_id]


async def test_agent_switches_by_keyboard_and_sends_chinese_reply_once(tmp_path, reference_backend):
    first = reference_backend.open_chat("林小雨", "app")
    reference_backend.customer_says(first, "在吗")
    second = reference_backend.open_chat("王建国", "wechat")
    reference_backend.customer_says(second, "我的快递还没到")
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: second in app.desk.chats, "both chats")
        assert app.desk.current_chat_id == first
        assert app.desk.chats[second].unread == 1

        await pilot.press("alt+down")
        assert app.desk.current_chat_id == second
        assert app.desk.chats[second].unread == 0, "opening a chat clears its unread count"
        await pilot.press("alt+up")
        assert app.desk.current_chat_id == first
        await pilot.press("trade_mark_sign")  # what Textual makes of ESC+2, i.e. alt+2 in a terminal
        assert app.desk.current_chat_id == second

        await pilot.press("ctrl+r")
        assert isinstance(app.focused, Composer)
        await type_text(pilot, "您好，马上为您查询")
        await pilot.press("ctrl+j")
        await type_text(pilot, "请稍等！")
        assert app.desk.query_one(Composer).text == "您好，马上为您查询\n请稍等！"
        await pilot.press("enter")
        assert app.desk.query_one(Composer).text == ""
        await wait_until(
            pilot, lambda: "✓ sent" in transcript_text(app), "the reply to be acknowledged"
        )

    agent_messages = [m for m in reference_backend.messages(second) if m["author"] == "agent"]
    assert [m["text"] for m in agent_messages] == ["您好，马上为您查询\n请稍等！"]
    assert not [m for m in reference_backend.messages(first) if m["author"] == "agent"]


async def test_markup_and_escape_sequences_show_as_plain_text(tmp_path, reference_backend, terminal_writes):
    hostile = (
        "[bold red]FREE[/] [link=http://evil.example]click[/link] "
        "\x1b[31mred\x1b[0m \x1b]8;;http://evil.example\x07osc8\x1b]8;;\x07 "
        "\x1b]52;c;ZXZpbA==\x07 \x9b2J bell\x07 \u202eevil"
    )
    chat_id = reference_backend.open_chat("[blink]Mallory[/blink]\x1b[5m")
    reference_backend.customer_says(chat_id, hostile)
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(200, 36)) as pilot:
        await wait_until(pilot, lambda: "FREE" in transcript_text(app), "the hostile message")
        text = transcript_text(app)
        assert "[bold red]FREE[/] [link=http://evil.example]click[/link]" in text
        assert "␛[31mred␛[0m ␛]8;;http://evil.example␇osc8" in text
        assert "␛]52;c;ZXZpbA==␇" in text and "<U+009B>2J" in text and "<U+202E>evil" in text
        assert "[blink]Mallory[/blink]␛[5m" in text

        # What would be written to the terminal: only Textual's own CSI sequences may carry ESC.
        raw = await screen_text(pilot, terminal_writes)
        assert "FREE" in raw and "Mallory" in raw
        without_own_csi = re.sub(r"\x1b\[[0-9;:?]*[A-Za-z]", "", raw)
        for dangerous in ("\x1b", "\x07", "\x9b", "\u202e"):
            assert dangerous not in without_own_csi, repr(dangerous)

        await pilot.press("ctrl+p")  # the command palette lists chats by customer name
        await pilot.press(*"Mallory")
        # The palette fills its list as the search runs: wait for the entry with the name, shown as text.
        await wait_until(pilot, lambda: "[blink]Mallory[/blink]␛[5m" in "".join(terminal_writes),
                         "the palette's chat entry")
        palette = await screen_text(pilot, terminal_writes)
        assert "Open chat 1" in palette
        assert "\x1b" not in re.sub(r"\x1b\[[0-9;:?]*[A-Za-z]", "", palette)


async def screen_text(pilot, terminal_writes: list[str]) -> str:
    """A whole frame as the terminal is sent it: the screen repainted in full, and what the driver wrote."""
    terminal_writes.clear()
    pilot.app.screen.refresh()
    await pilot.pause()
    return "".join(terminal_writes)


async def test_starts_offline_with_cached_chats_and_queues_replies(tmp_path, reference_backend):
    chat_id = reference_backend.open_chat("赵先生", "weibo")
    reference_backend.customer_says(chat_id, "你们到底打算怎么解决？")
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: chat_id in app.desk.chats, "the first sync")
    reference_backend.stop()

    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        assert "你们到底打算怎么解决？" in transcript_text(app), "cached history is readable offline"
        await wait_until(pilot, lambda: app.desk.sync_status is not None and app.desk.sync_status.online is False,
                         "offline")
        await type_text(pilot, "非常抱歉，我马上处理")
        await pilot.press("enter")
        assert "… sending" in transcript_text(app)
        await wait_until(pilot, lambda: app.desk.sync_status.outbox_depth == 1, "the outbox depth to show")
        status = str(app.desk.query_one("#status-bar").render())
        assert "offline since" in status and "outbox 1" in status
        # A chat action counts at once too, not at the engine's next report (a hung backend never makes one).
        await pilot.press("f6")
        await wait_until(pilot, lambda: app.screen.is_modal, "the tag prompt")
        await type_text(pilot, "vip")
        await pilot.press("enter")
        assert app.desk.sync_status.outbox_depth == 2
        assert "outbox 2" in str(app.desk.query_one("#status-bar").render())
