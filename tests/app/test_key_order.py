"""Keys typed in one burst are handled in order, by the widget that has the focus at each key's turn.

Each test posts a whole burst to the app at once — what a terminal's read of a fast typist, an input method's
phrase commit or a macro gives the driver — instead of pressing keys one by one as Pilot does (Pilot waits for
the app to go idle after each key, which hides reordering). The real-terminal tests repeat this through a pty.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from console.app import AgentConsoleApp
from local_cache.reference_client import ReferenceApiClient
from tests.pilot_helpers import key_for, wait_until
from widgets.chat_list import ChatList
from widgets.screens.reply_form import ReplyForm
from widgets.screens.reply_panel import ReplyPanel

NAMED = {"^P": ("ctrl+p", None),
         "⌫": ("backspace", "\x7f"), "⇥": ("tab", "\t"), "⏎": ("enter", "\r"), "↓": ("down", None),
         "^L": ("ctrl+l", None), "^S": ("ctrl+s", None), "F2": ("f2", None), "^R": ("ctrl+r", None)}


def burst(app, *parts: str) -> None:
    """Post every key at once: plain strings are typed character by character, NAMED entries are keys."""
    for part in parts:
        if part in NAMED:
            key, character = NAMED[part]
            app.post_message(events.Key(key, character))
            continue
        for character in part:
            app.post_message(events.Key(key_for(character), character))


def make_app(tmp_path, backend) -> AgentConsoleApp:
    return AgentConsoleApp(tmp_path / "agent.sqlite3", lambda: ReferenceApiClient(backend.url, backend.token),
                           long_poll_wait=1.0)


async def started(pilot, app, backend, *names: str) -> list[str]:
    chat_ids = [backend.open_chat(name) for name in names]
    await wait_until(pilot, lambda: all(chat_id in app.desk.chats for chat_id in chat_ids), "chats listed")
    await pilot.pause()
    return chat_ids


async def settled(pilot, app, what: str, predicate) -> None:
    await wait_until(pilot, lambda: not app._keys.waiting and predicate(), what)


async def test_backspaces_inside_a_burst_delete_what_was_typed_before_them(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(pilot, app, reference_backend, "陈静")
        composer = app.desk.main_pane.composer
        for count in range(1, 6):
            burst(app, "refnd", *"⌫" * 5, "tuik", "，退款", "⌫", "货")
            await settled(pilot, app, "the burst typed", lambda: len(composer.text) >= 7 * count)
            assert composer.text == "tuik，退货" * count


async def test_a_tab_in_a_burst_moves_on_before_the_next_characters(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(pilot, app, reference_backend, "陈静")
        burst(app, "物流查询", "^S", "⇥", "⌫" * 0, "wl2", "⇥", "我的")
        await settled(pilot, app, "the form filled", lambda: isinstance(app.screen, ReplyForm)
                      and app.screen.query_one("#folder", Input).value.endswith("我的"))
        form = app.screen
        assert form.query_one("#title", Input).value == "物流查询"
        assert form.query_one("#shortcut", Input).value == "wl2"


async def test_typing_right_after_f2_goes_into_the_search_box(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(pilot, app, reference_backend, "陈静")
        burst(app, "F2", "tuik", "⌫", "kuan")
        await settled(pilot, app, "the panel's query", lambda: isinstance(app.screen, ReplyPanel)
                      and app.screen.query_one(Input).value == "tuikuan")
        assert app.desk.main_pane.composer.text == ""


async def test_enter_in_the_chat_list_opens_the_chat_and_the_next_keys_go_to_its_composer(
    tmp_path, reference_backend
):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        first, second = await started(pilot, app, reference_backend, "陈静", "赵先生")
        opened = app.desk.current_chat_id
        other = second if opened == first else first
        burst(app, "^L", "↓", "⏎", "您好，马上查")
        await settled(pilot, app, "the reply typed", lambda: app.desk.current_chat_id == other
                      and app.desk.main_pane.composer.text == "您好，马上查")
        assert app.focused is app.desk.main_pane.composer
        assert not isinstance(app.focused, ChatList)


async def test_choosing_a_chat_in_the_palette_then_typing_at_once_types_into_that_chat(tmp_path, reference_backend):
    # The palette's Enter selects in its list, the list tells the palette, the palette closes and the App runs
    # the command: messages well off the key's own path. The text typed after it must wait for all of that.
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        first, second = await started(pilot, app, reference_backend, "陈静", "Alice Wong")
        target, name = (second, "alice") if app.desk.current_chat_id == first else (first, "chen")
        burst(app, "^P", name, "⏎", "abcdef")
        await settled(pilot, app, "the text typed", lambda: app.desk.current_chat_id == target
                      and app.desk.main_pane.composer.text == "abcdef")
        assert app.store.drafts.get(first if target == second else second) == ""
