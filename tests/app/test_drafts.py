"""Drafts per chat, across chat switches and restarts (real backend on 127.0.0.1, real store)."""

from __future__ import annotations

from textual import events

from tests.app.test_app_quick_replies import make_app
from tests.pilot_helpers import type_text, wait_until
from widgets.composer import Composer


async def test_each_chat_keeps_its_unsent_text_across_switches_and_a_restart(tmp_path, reference_backend):
    first = reference_backend.open_chat("林小雨", "app")
    second = reference_backend.open_chat("Emily Carter", "web")
    reference_backend.customer_says(first, "在吗")
    reference_backend.customer_says(second, "Hello?")
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: {first, second} <= set(app.desk.chats), "both chats")
        composer = app.desk.query_one(Composer)
        app.desk.show_chat(first)
        await type_text(pilot, "您好，订单号是")
        app.desk.show_chat(second)
        await pilot.pause()
        assert composer.text == "", "the other chat has its own (empty) draft"
        await type_text(pilot, "Let me check")
        app.desk.show_chat(first)
        await pilot.pause()
        assert composer.text == "您好，订单号是" and composer.cursor_location == (0, 7), "back where it was left"
        assert app.store.drafts.get(second) == "Let me check"
        await type_text(pilot, "123")
        await wait_until(pilot, lambda: app.store.drafts.get(first) == "您好，订单号是123",
                         "saved after a pause in typing")

    again = make_app(tmp_path, reference_backend)
    async with again.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: again.desk.current_chat_id is not None, "a chat open")
        again.desk.show_chat(second)
        await pilot.pause()
        assert again.desk.query_one(Composer).text == "Let me check"
        again.desk.show_chat(first)
        await pilot.pause()
        assert again.desk.query_one(Composer).text == "您好，订单号是123"
        await pilot.press("enter")  # sent: the draft is gone
        await wait_until(pilot, lambda: again.store.drafts.get(first) == "", "the draft cleared after sending")


async def test_alt_x_clears_the_composer_ctrl_z_brings_it_back_and_the_draft_follows(tmp_path, reference_backend):
    chat_id = reference_backend.open_chat("林小雨", "app")
    reference_backend.customer_says(chat_id, "在吗")
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == chat_id, "the chat")
        composer = app.desk.query_one(Composer)
        await type_text(pilot, "您好，订单号是")
        await pilot.press("backspace")  # an edit of the same kind as clearing: must not be undone with it
        await wait_until(pilot, lambda: app.store.drafts.get(chat_id) == "您好，订单号", "the draft saved")
        app.post_message(events.Key("alt+x", "x"))  # as a terminal sends it: ESC x, with "x" as the character
        await wait_until(pilot, lambda: composer.text == "", "the composer cleared")
        await wait_until(pilot, lambda: app.store.drafts.get(chat_id) == "", "the draft cleared too")
        await pilot.press("ctrl+z")
        assert composer.text == "您好，订单号", "one undo brings the whole text back"
        await wait_until(pilot, lambda: app.store.drafts.get(chat_id) == "您好，订单号", "the draft back too")
        assert ("alt+x", "Clear (ctrl+z undoes)") in app.key_help_rows(), "listed in the help screen (f1)"
