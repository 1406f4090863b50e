"""The split view's right-hand pane is a whole chat: per-chat actions act on the pane with the focus."""

from __future__ import annotations

from textual.widgets import Label

from tests.app.test_chat_workflow import make_app
from tests.pilot_helpers import type_text, wait_until
from widgets.screens.prompts import ConfirmScreen

CARD = "6222021234567890128"


def agent_messages(backend, chat_id):
    return [m["text"] for m in backend.messages(chat_id) if m["author"] == "agent"]


def two_chats_with_a_card(backend) -> tuple[str, str]:
    first = backend.open_chat("林小雨", "app")
    backend.customer_says(first, f"我的卡号{CARD}")
    second = backend.open_chat("王建国", "wechat")
    backend.customer_says(second, f"卡号也是{CARD}")
    return first, second


async def split_with_two_chats(pilot, app, first, second):
    await wait_until(pilot, lambda: app.desk.current_chat_id == first and second in app.desk.chats, "both chats")
    await pilot.press("ctrl+backslash")
    assert (app.desk.side_chat_id, app.desk.current_chat_id) == (first, second)
    assert app.focused is app.desk.side_pane.composer


async def send_to_the_second_question(pilot, app, text: str) -> None:
    """Type `text` (a linter warning and a placeholder left in), press Enter, answer the first question yes."""
    await type_text(pilot, text)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the linter's question")
    await pilot.press("y")
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and "{order.id}" in
                     str(app.screen.query(Label).first().render()), "the placeholder's question")


async def test_a_send_that_asks_twice_goes_to_the_right_hand_chat_and_clears_only_its_composer(
    tmp_path, reference_backend
):
    first = reference_backend.open_chat("林小雨", "app")
    reference_backend.customer_says(first, "M码有货吗？")
    second = reference_backend.open_chat("王建国", "wechat")
    app = make_app(tmp_path, reference_backend.url, reference_backend.token)
    async with app.run_test(size=(160, 40)) as pilot:
        await split_with_two_chats(pilot, app, first, second)
        await pilot.press("ctrl+r")
        await type_text(pilot, "左边的草稿")
        await pilot.press("ctrl+r")  # back to the right-hand composer
        assert app.focused is app.desk.side_pane.composer
        text = "这绝对不可能，订单{order.id}"  # a warning, then a placeholder left in: two questions in turn
        await send_to_the_second_question(pilot, app, text)
        assert app.store.outbox.items() == [] and agent_messages(reference_backend, first) == [], \
            "nothing is queued until every question is answered"
        await pilot.press("y")
        await wait_until(pilot, lambda: agent_messages(reference_backend, first) == [text], "delivery")
        assert agent_messages(reference_backend, second) == []
        assert app.desk.side_pane.composer.text == ""
        assert app.desk.main_pane.composer.text == "左边的草稿", "the other pane's text is untouched"


async def test_declining_the_second_question_queues_nothing_and_keeps_the_text(tmp_path, reference_backend):
    first = reference_backend.open_chat("林小雨", "app")
    second = reference_backend.open_chat("王建国", "wechat")
    app = make_app(tmp_path, reference_backend.url, reference_backend.token)
    async with app.run_test(size=(160, 40)) as pilot:
        await split_with_two_chats(pilot, app, first, second)
        text = "这绝对不可能，订单{order.id}"
        await send_to_the_second_question(pilot, app, text)
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the dialog closed")
        assert app.store.outbox.items() == []
        assert app.desk.side_pane.composer.text == text


async def test_f9_in_the_right_hand_pane_reveals_that_chat_only(tmp_path, reference_backend):
    first, second = two_chats_with_a_card(reference_backend)
    app = make_app(tmp_path, reference_backend.url, reference_backend.token)
    async with app.run_test(size=(160, 40)) as pilot:
        await split_with_two_chats(pilot, app, first, second)
        side, main = app.desk.side_pane.transcript, app.desk.main_pane.transcript
        await wait_until(pilot, lambda: any("622202" in line for line in side.plain_lines()), "the side transcript")
        assert not any(CARD in line for line in side.plain_lines() + main.plain_lines())
        await pilot.press("f9")
        assert any(CARD in line for line in side.plain_lines()), "the pane with the focus is revealed"
        assert not any(CARD in line for line in main.plain_lines()), "the other chat stays masked"
        assert [chat for chat, _ in app.store.audit.pii_reveals()] == [first], "the reveal logged for its own chat"
        await pilot.press("f9")
        assert not any(CARD in line for line in side.plain_lines())


async def test_a_chat_arriving_in_a_pane_starts_masked_and_its_reveal_is_logged_for_it(tmp_path, reference_backend):
    first, second = two_chats_with_a_card(reference_backend)
    app = make_app(tmp_path, reference_backend.url, reference_backend.token)
    async with app.run_test(size=(160, 40)) as pilot:
        await split_with_two_chats(pilot, app, first, second)
        side = app.desk.side_pane.transcript
        await wait_until(pilot, lambda: any("622202" in line for line in side.plain_lines()), "the side transcript")
        await pilot.press("f9")
        assert any(CARD in line for line in side.plain_lines())
        await pilot.press("alt+down")  # the right-hand chat opens on the left: the two swap
        assert (app.desk.current_chat_id, app.desk.side_chat_id) == (first, second)
        await wait_until(pilot, lambda: any("622202" in line for line in side.plain_lines()), "the swapped chat")
        assert not any(CARD in line for line in side.plain_lines() + app.desk.main_pane.transcript.plain_lines()), \
            "a reveal is for the chat it was asked for, in the pane it was asked in"
        app.desk.side_pane.composer.focus()
        await pilot.press("f9")
        assert any(CARD in line for line in side.plain_lines())
        assert [chat for chat, _ in app.store.audit.pii_reveals()] == [first, second], "each reveal logged"


async def test_chat_keys_wait_while_a_send_question_is_open(tmp_path, reference_backend):
    first = reference_backend.open_chat("林小雨", "app")
    second = reference_backend.open_chat("王建国", "wechat")
    app = make_app(tmp_path, reference_backend.url, reference_backend.token)
    async with app.run_test(size=(160, 40)) as pilot:
        await split_with_two_chats(pilot, app, first, second)
        text = "订单{order.id}已发出"
        await type_text(pilot, text)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the placeholder's question")
        for key in ("f7", "f6", "alt+down", "alt+1", "ctrl+backslash", "f9", "ctrl+r"):
            await pilot.press(key)
            assert isinstance(app.screen, ConfirmScreen), f"{key} opened something over the question"
        assert (app.desk.current_chat_id, app.desk.side_chat_id) == (second, first), "no chat moved under the question"
        assert app.store.outbox.items() == [] and app.store.audit.pii_reveals() == []
        await pilot.press("y")
        await wait_until(pilot, lambda: agent_messages(reference_backend, first) == [text], "delivery")
        assert app.desk.side_pane.composer.text == "" and app.store.drafts.get(first) == "", "sent once, not kept"
        assert app.desk.chats[second].state != "closed" and second in app.desk.chats


async def test_closing_the_right_hand_chat_closes_the_split_view(tmp_path, reference_backend):
    first = reference_backend.open_chat("林小雨", "app")
    second = reference_backend.open_chat("王建国", "wechat")
    app = make_app(tmp_path, reference_backend.url, reference_backend.token)
    async with app.run_test(size=(160, 40)) as pilot:
        await split_with_two_chats(pilot, app, first, second)
        await pilot.press("f7")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen) and app.screen.is_modal,
                         "the resolution prompt")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.desk.side_chat_id is None, "the right-hand pane closed with its chat")
        assert not app.desk.side_pane.display and app.focused is app.desk.main_pane.composer
        await type_text(pilot, "好的")
        await pilot.press("enter")
        await wait_until(pilot, lambda: agent_messages(reference_backend, second) == ["好的"], "delivery")
        assert agent_messages(reference_backend, first) == [], "nothing typed after the close went to it"
