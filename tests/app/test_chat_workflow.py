"""The concurrent-chat workflow driven from the keyboard: SLA countdowns and urgency order with an injectable
clock, chat actions online and offline (real backend and proxy on 127.0.0.1), and a remapped key."""

from __future__ import annotations

import time

import httpx
import pytest

from console.app import AgentConsoleApp
from local_cache.reference_client import ReferenceApiClient
from tests.pilot_helpers import type_text, wait_until
from widgets.chat_list import DEADLINE_STYLES, ChatList
from widgets.screens.metrics import MetricsScreen
from widgets.screens.reply_form import ReplyForm


class Clock:
    """The app's clock: real time plus however far the test has moved it on (messages carry server time)."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def make_app(tmp_path, url, token, clock=time.time, **options) -> AgentConsoleApp:
    return AgentConsoleApp(tmp_path / "agent.sqlite3", lambda: ReferenceApiClient(url, token),
                           long_poll_wait=1.0, clock=clock, **options)


def row_texts(app) -> list[str]:
    """Each chat row as the agent reads it (two lines joined)."""
    chat_list = app.desk.query_one(ChatList)
    return [chat_list.row_text(index) for index in range(len(chat_list.chat_ids))]


def countdown_style(app, index) -> str:
    return app.desk.query_one(ChatList).countdown_style(index)


def waiting_customer(backend) -> str:
    chat_id = backend.open_chat("Emily Carter", "web")
    backend.customer_says(chat_id, "Hi!")
    return chat_id


async def test_countdowns_warn_then_breach_and_the_list_follows_the_nearest_deadline(tmp_path, reference_backend):
    clock = Clock()
    app = make_app(tmp_path, reference_backend.url, reference_backend.token, clock)
    async with app.run_test(size=(120, 36)) as pilot:
        calm = reference_backend.open_chat("Calm Carl", "web")
        first = reference_backend.open_chat("林小雨", "app")
        reference_backend.customer_says(first, "在吗？")
        await wait_until(pilot, lambda: calm in app.desk.chats and first in app.desk.chats
                         and app.desk.chats[first].waiting_since,
                         "both chats")
        assert app.desk.query_one(ChatList).chat_ids == [first, calm], "the waiting customer comes first"
        assert "reply 0:" in row_texts(app)[0] and "normal 1h5" in row_texts(app)[1]
        assert countdown_style(app, 0) == DEADLINE_STYLES["calm"]

        clock.offset = 25  # 5 s left of the 30 s first response
        app.desk.query_one(ChatList).refresh_countdowns()
        assert "reply 0:0" in row_texts(app)[0]
        assert countdown_style(app, 0) == DEADLINE_STYLES["warning"]

        clock.offset = 95
        app.desk.query_one(ChatList).refresh_countdowns()
        assert "reply late 1:0" in row_texts(app)[0]
        assert countdown_style(app, 0) == DEADLINE_STYLES["breached"]

        # Answering stops the reply timer: the chat drops behind the older one (both now on the 2 h limit).
        # The app opens whichever chat its first sync saw; the agent opens the top one to answer it.
        await pilot.press("alt+1")
        assert app.desk.current_chat_id == first
        await pilot.press("ctrl+r")
        await type_text(pilot, "您好，在的")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.desk.query_one(ChatList).chat_ids == [calm, first], "the new order")
        # Urgent handling (5 min) of a chat opened ~95 s ago puts it first again, with its limit shown.
        await pilot.press("f10", "u")
        await wait_until(pilot, lambda: app.desk.query_one(ChatList).chat_ids == [first, calm], "urgent first")
        assert "urgent 3:" in row_texts(app)[0]


@pytest.mark.parametrize("online", [True, False])
async def test_transfer_tag_priority_and_close_from_keys(tmp_path, reference_backend, fault_proxy, online):
    chat_id = reference_backend.open_chat("王建国", "wechat")
    reference_backend.customer_says(chat_id, "快递三天没动了")
    app = make_app(tmp_path, fault_proxy.url, reference_backend.token)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == chat_id and app.desk.sync_status.online, "the chat")
        if not online:
            fault_proxy.refuse()
            await wait_until(pilot, lambda: app.desk.sync_status.online is False, "offline")

        await pilot.press("f10", "i")
        assert app.desk.chats[chat_id].priority == "important", "shown at once, before the backend answers"
        await pilot.press("f6")
        await type_text(pilot, "logistics, 催件")
        await pilot.press("enter")
        await pilot.press("f3")
        await type_text(pilot, "logistics-team: 需要查物流")
        await pilot.press("enter")
        assert app.desk.chats[chat_id].state == "transferred"
        await pilot.press("f7", "enter")  # Enter alone: resolved
        assert app.desk.chats[chat_id].state == "closed"
        assert app.desk.chats[chat_id].tags == ("logistics", "催件", "resolved")
        bodies = [item.body for item in app.store.outbox.items()]
        assert bodies == [
            {"type": "priority", "priority": "important"},
            {"type": "tag", "tags": ["logistics", "催件"]},
            {"type": "transfer", "to": "logistics-team", "note": "需要查物流"},
            {"type": "tag", "tags": ["logistics", "催件", "resolved"]},
            {"type": "close"},
        ]
        if not online:
            assert all(item.state != "sent" for item in app.store.outbox.items()), "nothing reached the backend"
            fault_proxy.restore()
        await wait_until(pilot, lambda: app.store.outbox.depth() == 0, "the outbox to drain", timeout=30)
    chat = reference_backend.chat(chat_id)
    assert (chat["state"], chat["priority"], chat["tags"]) == ("closed", "important", ["logistics", "催件", "resolved"])

    # The customer writes again: the chat reopens, and its handling limit counts from then.
    reference_backend.customer_says(chat_id, "还是没到")
    again = make_app(tmp_path, reference_backend.url, reference_backend.token)
    async with again.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: getattr(again.desk.chats.get(chat_id), "state", None) == "opened", "reopen")
        assert again.desk.chats[chat_id].opened_at > again.desk.chats[chat_id].created_at


async def test_a_remapped_key_works_and_a_clash_is_reported(tmp_path, reference_backend):
    chat_id = waiting_customer(reference_backend)
    app = make_app(tmp_path, reference_backend.url, reference_backend.token,
                   keys={"choose_priority": "ctrl+b", "tag_chat": "f3", "close_chat": "f11", "nosuch": "f1"})
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == chat_id, "the chat")
        problems = app.alert_history
        assert any("f3 is claimed by transfer_chat and tag_chat" in p for p in problems)
        assert any("nosuch: no such action" in p for p in problems)
        assert "f11 Close" in app.desk.query_one("#key-line").hints.plain
        assert ("f11", "Close") in app.key_help_rows()
        await pilot.press("ctrl+b", "u")
        assert app.desk.chats[chat_id].priority == "urgent"
        await pilot.press("f11", "enter")
        assert app.desk.chats[chat_id].state == "closed"


async def test_the_customer_panel_masks_numbers_and_a_logged_reveal_fetches_them_without_storing(
    tmp_path, reference_backend
):
    chat_id = reference_backend.open_chat(
        "周海峰", "email", title="周总", vip=True, phone="13812345678", id_number="11010519491231002X",
        orders=[{"id": "DD20261127001", "item": "羽绒服 M", "status": "shipped", "amount": "¥599"}])
    reference_backend.customer_says(chat_id, "我的订单到哪了？")
    app = make_app(tmp_path, reference_backend.url, reference_backend.token)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == chat_id, "the chat")
        panel = app.desk.query_one("#customer-panel")
        await wait_until(pilot, lambda: "138****5678" in panel_text(app), "the masked phone")
        text = panel_text(app)
        assert "110105********002X" in text and "DD20261127001" in text and "shipped" in text and "周总" in text
        assert "13812345678" not in text
        await pilot.press("f9")
        await wait_until(pilot, lambda: "13812345678" in panel_text(app), "the clear phone")
        assert [chat for chat, _ in app.store.audit.pii_reveals()] == [chat_id], "the reveal is logged"
        await pilot.press("f9")
        assert "138****5678" in panel_text(app)
        await pilot.press("ctrl+b")
        assert not panel.display
    for path in tmp_path.glob("agent.sqlite3*"):  # the clear numbers never reached the disk
        assert b"13812345678" not in path.read_bytes() and b"11010519491231002X" not in path.read_bytes()


def panel_text(app) -> str:
    from rich.console import Console

    console = Console(width=32, color_system=None)
    with console.capture() as captured:
        console.print(app.desk.query_one("#customer-panel").content)
    return captured.get()


async def test_split_view_two_chats_each_with_its_own_composer(tmp_path, reference_backend):
    first = reference_backend.open_chat("林小雨", "app")
    reference_backend.customer_says(first, "M码有货吗？")
    second = reference_backend.open_chat("王建国", "wechat")
    reference_backend.customer_says(second, "快递到哪了？")
    app = make_app(tmp_path, reference_backend.url, reference_backend.token)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == first and second in app.desk.chats, "both chats")
        await pilot.press("ctrl+backslash")
        assert (app.desk.side_chat_id, app.desk.current_chat_id) == (first, second), "the open chat moves right"
        assert app.focused is app.desk.side_pane.composer
        assert any("M码有货吗" in line for line in app.desk.side_pane.transcript.plain_lines())
        assert any("快递到哪了" in line for line in app.desk.main_pane.transcript.plain_lines())
        reference_backend.customer_says(first, "还在吗")  # into the right-hand chat: on screen, so read
        side = app.desk.side_pane.transcript
        await wait_until(pilot, lambda: any("还在吗" in line for line in side.plain_lines())
                         and app.desk.chats[first].last_message_preview == "还在吗",
                         "the message in the right-hand pane")
        assert app.desk.chats[first].unread == 0
        await type_text(pilot, "有的")
        await pilot.press("ctrl+r")  # to the left-hand composer; the right one keeps its draft
        await type_text(pilot, "正在查询")
        await pilot.press("f6")  # an action follows the focused pane
        await type_text(pilot, "logistics")
        await pilot.press("enter")
        assert app.desk.chats[second].tags == ("logistics",) and app.desk.chats[first].tags == ()
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.store.outbox.depth() == 0, "delivery")
        app.desk.side_pane.composer.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.store.outbox.depth() == 0, "delivery")
        await pilot.press("alt+down")  # the list drives the left pane; opening the right-hand chat swaps them
        assert (app.desk.current_chat_id, app.desk.side_chat_id) == (first, second)
        await pilot.press("ctrl+backslash")
        assert app.desk.side_chat_id is None and not app.desk.side_pane.display
    assert [m["text"] for m in reference_backend.messages(first) if m["author"] == "agent"] == ["有的"]
    assert [m["text"] for m in reference_backend.messages(second) if m["author"] == "agent"] == ["正在查询"]


async def test_ctrl_s_in_the_right_hand_composer_saves_what_is_typed_there(tmp_path, reference_backend):
    first = reference_backend.open_chat("林小雨", "app")
    reference_backend.customer_says(first, "M码有货吗？")
    second = reference_backend.open_chat("王建国", "wechat")
    app = make_app(tmp_path, reference_backend.url, reference_backend.token)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == first and second in app.desk.chats, "both chats")
        await pilot.press("ctrl+backslash")
        assert app.focused is app.desk.side_pane.composer
        await type_text(pilot, "M码有货，今天下单明天发")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplyForm), "the save form, not a warning")
        assert app.screen.query_one("#body").text == "M码有货，今天下单明天发"


async def test_the_metrics_screen_shows_today(tmp_path, reference_backend):
    chat_id = waiting_customer(reference_backend)
    app = make_app(tmp_path, reference_backend.url, reference_backend.token)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == chat_id, "the chat")
        await type_text(pilot, "Hello Emily")
        await pilot.press("enter")
        await pilot.press("ctrl+n")
        screen = app.screen
        assert isinstance(screen, MetricsScreen)
        assert screen.figures.chats == 1 and screen.figures.median_first_response is not None
        assert len(screen.query_one("#chats-sparkline").data) == 24
        await pilot.press("escape")
        assert not isinstance(app.screen, MetricsScreen)


async def test_a_reveal_offline_keeps_the_panel_masked_and_says_why(tmp_path, reference_backend, fault_proxy):
    chat_id = reference_backend.open_chat("王建国", "wechat", phone="13912345678")
    reference_backend.customer_says(chat_id, "在吗")
    app = make_app(tmp_path, fault_proxy.url, reference_backend.token)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: "139****5678" in panel_text(app), "the masked phone")
        fault_proxy.refuse()
        await pilot.press("f9")
        await wait_until(pilot, lambda: "need the backend" in " ".join(panel_text(app).split()), "the reason")
        assert "13912345678" not in panel_text(app) and "139****5678" in panel_text(app)


async def test_a_message_refused_in_the_right_hand_pane_is_shown_and_handled_there(
    tmp_path, reference_backend, fault_proxy
):
    first = reference_backend.open_chat("林小雨", "app")
    reference_backend.customer_says(first, "M码有货吗？")
    second = reference_backend.open_chat("王建国", "wechat")
    app = make_app(tmp_path, fault_proxy.url, reference_backend.token)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == first and second in app.desk.chats, "both chats")
        await pilot.press("ctrl+backslash")
        assert app.desk.side_chat_id == first
        fault_proxy.plan("422")
        await type_text(pilot, "这条会被拒绝")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.desk.side_pane.rejected_bar.display, "the right-hand rejected bar")
        assert not app.desk.main_pane.rejected_bar.display
        await pilot.press("f8", "y")  # the focus is in the right-hand pane: its item goes
        assert app.store.outbox.rejected_items(first) == []
        assert not app.desk.side_pane.rejected_bar.display


async def test_the_palette_holds_every_action_including_the_composers(tmp_path, reference_backend):
    chat_id = waiting_customer(reference_backend)
    app = make_app(tmp_path, reference_backend.url, reference_backend.token)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == chat_id, "the chat")
        from console.command_palette import PaletteCommands

        names = [name for name, _, _ in PaletteCommands(app.screen)._commands()]
        for description in ("Transfer", "Tag", "Close", "Priority", "Escalate", "Reveal", "Customer", "Split",
                            "Metrics", "Sign in again", "Send", "Newline", "Use suggestion", "Mask personal data"):
            assert description in names


def agent_action(backend, chat_id, body, key) -> None:
    response = httpx.post(f"{backend.url}/api/v1/chats/{chat_id}/actions", json=body,
                          headers={"Authorization": f"Bearer {backend.token}", "Idempotency-Key": key})
    response.raise_for_status()


async def test_closed_chats_leave_the_list_are_never_opened_by_themselves_and_come_back_when_the_customer_writes(
    tmp_path, reference_backend
):
    closed = reference_backend.open_chat("陈静", "web")
    reference_backend.customer_says(closed, "好的，谢谢")
    agent_action(reference_backend, closed, {"type": "close"}, "close-1")
    app = make_app(tmp_path, reference_backend.url, reference_backend.token)
    async with app.run_test(size=(100, 30)) as pilot:
        chat_list = app.desk.query_one(ChatList)
        await wait_until(pilot, lambda: closed in app.desk.chats and app.desk.sync_status
                         and app.desk.sync_status.online,
                         "sync")
        assert app.desk.current_chat_id is None, "a closed chat is not opened at start"
        assert chat_list.chat_ids == []

        waiting = waiting_customer(reference_backend)
        await wait_until(pilot, lambda: app.desk.current_chat_id == waiting, "the new chat, opened")
        assert chat_list.chat_ids == [waiting]

        await pilot.press("alt+c")  # closed chats too: readable, and numbered after the open ones
        assert chat_list.chat_ids == [waiting, closed]
        await pilot.press("alt+2")
        assert app.desk.current_chat_id == closed
        assert any("好的，谢谢" in line for line in app.desk.main_pane.transcript.plain_lines())
        await pilot.press("alt+c")
        assert chat_list.chat_ids == [waiting]
        await pilot.press("alt+2")  # numbers follow the visible list: there is no second chat now
        assert app.desk.current_chat_id == closed
        await pilot.press("alt+1")
        assert app.desk.current_chat_id == waiting

        reference_backend.customer_says(closed, "还有个问题")
        await wait_until(pilot, lambda: closed in chat_list.chat_ids, "the reopened chat back in the list")
        assert app.desk.chats[closed].state == "opened"
        assert ("alt+c", "Closed chats") in app.key_help_rows()


async def test_every_row_has_its_number_and_two_chats_of_one_customer_differ(tmp_path, reference_backend):
    names = ("陈静", "陈静", "Emily Carter", "欧阳娜娜", "王建国", "赵先生", "林小雨", "周海峰", "Li Lei", "Ann", "Bo")
    chat_ids = [reference_backend.open_chat(name, "web") for name in names]
    app = make_app(tmp_path, reference_backend.url, reference_backend.token)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: len(app.desk.query_one(ChatList).chat_ids) == 11, "eleven chats")
        rows = row_texts(app)
        assert [row[:3] for row in rows] == [f"{n:>2} " for n in range(1, 12)], "numbers past 9 too, aligned"
        first_lines = {row.split(" | ")[0] for row in rows if "陈静" in row}
        assert len(first_lines) == 2, f"the two 陈静 rows differ: {first_lines}"
        assert {f"#{chat_id[-4:]}" for chat_id in chat_ids[:2]} <= {line.split()[-2] for line in first_lines}
        assert all(":" in row.split(" | ")[0].split()[-1] for row in rows), "each row shows when its chat began"


async def test_transfer_notes_and_override_reasons_are_lines_in_the_transcript_every_console_sees(
    tmp_path, reference_backend, fault_proxy
):
    from widgets.screens.prompts import PromptScreen

    chat_id = waiting_customer(reference_backend)
    app = make_app(tmp_path, fault_proxy.url, reference_backend.token)
    async with app.run_test(size=(160, 36)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == chat_id and app.desk.sync_status.online, "the chat")
        fault_proxy.refuse()  # offline: the lines show at once, from the outbox
        await wait_until(pilot, lambda: app.desk.sync_status.online is False, "offline")
        await type_text(pilot, "已为您改成13812345678")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), "the refusal")
        await type_text(pilot, "customer asked to confirm")
        await pilot.press("enter")
        await pilot.press("f3")
        await type_text(pilot, "refund-team: customer wants a callback")
        await pilot.press("enter")
        transcript = app.desk.main_pane.transcript
        lines = [line.strip() for line in transcript.plain_lines() if line.strip()]
        assert lines[-5] == "已为您改成13812345678"
        assert lines[-4].startswith("Sent despite pii-mobile: customer asked to confirm")
        # The transfer's line, then its note shown as a note (widgets/transcript_notes.py).
        assert lines[-3].startswith("Transferred to refund-team") and lines[-3].endswith("… sending")
        assert lines[-2].startswith("✎ Internal note") and lines[-1] == "┃ customer wants a callback"

        fault_proxy.restore()
        await wait_until(pilot, lambda: app.store.outbox.depth() == 0, "delivery", timeout=30)
        await wait_until(pilot, lambda: not any("sending" in line for line in transcript.plain_lines()), "settled")
        lines = [line.strip() for line in transcript.plain_lines() if line.strip()]
        said = lines.index("已为您改成13812345678")
        assert lines[said + 1].startswith("Sent despite pii-mobile: customer asked to confirm")
        assert [line for line in lines if line.startswith("Transferred")] == [lines[said + 2]], "once, after it"
        assert lines[said + 2].startswith("Transferred to refund-team") and lines[said + 4].endswith(
            "customer wants a callback")

    # The backend recorded the transfer: another console sees it, and a note is shown as typed, never as markup.
    agent_action(reference_backend, chat_id, {"type": "transfer", "to": "2nd-line", "note": "[red]x[/red] \x1b[2J"},
                 "other-console-transfer")
    other = make_app(tmp_path / "other", reference_backend.url, reference_backend.token)
    async with other.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: other.desk.current_chat_id == chat_id, "the chat")
        transcript = other.desk.main_pane.transcript
        await wait_until(pilot, lambda: any("2nd-line" in line for line in transcript.plain_lines()), "the lines")
        lines = [line.strip() for line in transcript.plain_lines() if line.strip()]
        # The server's line says what it records: each transfer's note shows as a note, here as on this console.
        for to, note in (("refund-team", "customer wants a callback"), ("2nd-line", "[red]x[/red] ␛[2J")):
            at = next(i for i, line in enumerate(lines) if line.startswith(f"Transferred to {to}"))
            assert note not in lines[at] and lines[at + 1].startswith("✎ Internal note")
            assert lines[at + 2] == f"┃ {note}"
        assert not any("Sent despite" in line for line in lines), "the reason is this console's own record"


async def test_closing_the_open_chat_moves_on_to_the_next_one_and_typing_goes_there(tmp_path, reference_backend):
    first = waiting_customer(reference_backend)
    second = reference_backend.open_chat("赵先生", "weibo")
    reference_backend.customer_says(second, "我的快递呢")
    app = make_app(tmp_path, reference_backend.url, reference_backend.token)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: {first, second} <= set(app.desk.chats), "both chats")
        await pilot.press("alt+1")
        closing = app.desk.current_chat_id
        other = second if closing == first else first
        await pilot.press("f7", "enter")
        await type_text(pilot, "您好")
        assert app.desk.current_chat_id == other, "the chat below the closed one opens"
        assert app.desk.main_pane.composer.text == "您好"
        assert app.store.drafts.get(closing) == "", "nothing typed after closing lands in the closed chat"


async def test_after_a_reply_alt_down_goes_to_the_chat_that_was_below(tmp_path, reference_backend):
    chat_ids = []
    for name in ("陈静", "赵先生", "王建国", "Emily Carter"):
        chat_ids.append(reference_backend.open_chat(name, "web"))
        reference_backend.customer_says(chat_ids[-1], "在吗？")
    app = make_app(tmp_path, reference_backend.url, reference_backend.token)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: set(chat_ids) <= set(app.desk.chats), "four waiting chats")
        await pilot.press("alt+2")
        listed = list(app.desk.query_one(ChatList).chat_ids)
        answered, below = listed[1], listed[2]
        await type_text(pilot, "您好，马上为您查看")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.desk.chat_list.chat_ids[-1] == answered, "the answered chat sinks")
        await pilot.press("alt+down")
        assert app.desk.current_chat_id == below, "the chat that was below it, not the top of the list"
