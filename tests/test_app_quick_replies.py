"""Quick replies in the console: the panel, shortcut expansion, placeholders (real backend on 127.0.0.1)."""

from __future__ import annotations

from console.app import AgentConsoleApp
from local_cache.reference_client import ReferenceApiClient
from quick_replies.library import STARTER_DIR
from tests.pilot_helpers import type_text, wait_until
from widgets.composer import Composer
from widgets.prompt_screen import ConfirmScreen
from widgets.reply_form import ReplyForm
from widgets.reply_panel import ReplyPanel


def make_app(tmp_path, backend, library_dirs=None) -> AgentConsoleApp:
    return AgentConsoleApp(
        tmp_path / "agent.sqlite3", lambda: ReferenceApiClient(backend.url, backend.token), long_poll_wait=1.0,
        library_dirs=library_dirs or [STARTER_DIR, tmp_path / "library"],
    )


async def open_chat(pilot, app, backend, name="陈静"):
    chat_id = backend.open_chat(name, "web")
    backend.customer_says(chat_id, "杯子碎了，我要退款")
    await wait_until(pilot, lambda: chat_id in app.chats and app.current_chat_id == chat_id, "the chat")
    return chat_id


async def test_panel_tk_enter_inserts_the_refund_reply_with_the_name_filled(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_chat(pilot, app, reference_backend)
        await pilot.press("f2")
        assert isinstance(app.screen, ReplyPanel)
        await type_text(pilot, "tk")
        await pilot.press("enter")
        assert not isinstance(app.screen, ReplyPanel)
        text = app.query_one(Composer).text
        assert text.startswith("陈静好，非常抱歉给您带来不便。我已为您提交退款申请")
        assert reference_backend.messages(app.current_chat_id)[-1]["author"] == "customer", "inserted, not sent"
        assert app.store.reply_usage()["refund-apology-zh"][0] == 1


async def test_slash_in_an_empty_composer_opens_the_panel_and_tab_expands_an_exact_shortcut(
    tmp_path, reference_backend
):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_chat(pilot, app, reference_backend, name="Emily Carter")
        await type_text(pilot, "/")
        await pilot.pause()
        assert isinstance(app.screen, ReplyPanel)
        await type_text(pilot, "hello")
        await pilot.press("tab")
        assert app.query_one(Composer).text.startswith("Hi Emily Carter, this is ")


async def test_a_shortcut_typed_inside_a_message_expands_in_place(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_chat(pilot, app, reference_backend)
        await type_text(pilot, "好的。 /dd")
        await pilot.press("space")
        assert app.query_one(Composer).text == "好的。 好的，请您稍等，正在为您查询，大约需要一两分钟。"
        await type_text(pilot, " a/b ")  # not a shortcut: a slash inside a word stays text
        assert app.query_one(Composer).text.endswith(" a/b ")


async def test_a_shortcut_expands_after_chinese_text_and_punctuation_without_a_space(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_chat(pilot, app, reference_backend)
        composer = app.query_one(Composer)
        for before in ("王先生您好，", "收到。", "好的", "OK!", "“好”"):
            composer.clear()
            await type_text(pilot, before + "/dd")
            await pilot.press("space")
            assert composer.text == before + "好的，请您稍等，正在为您查询，大约需要一两分钟。", "the space is consumed"
        for text in ("a/dd", "http://x/dd", "../dd", "C:/dd", "~/dd"):  # a path or an address stays as typed
            composer.clear()
            await type_text(pilot, text)
            await pilot.press("space")
            assert composer.text == text + " "


async def test_an_unfilled_placeholder_is_selected_and_cannot_be_sent_unnoticed(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = await open_chat(pilot, app, reference_backend)
        await pilot.press("f2")
        await type_text(pilot, "wl")
        await pilot.press("enter")
        composer = app.query_one(Composer)
        assert "{order.id}" in composer.text and composer.selected_text == "{order.id}"
        await type_text(pilot, "DD2026")  # typing replaces the selected placeholder
        assert "订单 DD2026 目前" in composer.text and "{order.tracking}" in composer.text

        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen), "a leftover placeholder asks first"
        await pilot.press("n")
        assert "{order.tracking}" in composer.text and app.store.outbox_depth() == 0
        await pilot.press("enter")
        await pilot.press("y")
        await wait_until(pilot, lambda: any(m["author"] == "agent" for m in reference_backend.messages(chat_id)),
                         "the message to go out")


async def test_the_library_reloads_when_its_files_change(tmp_path, reference_backend):
    personal = tmp_path / "library"
    personal.mkdir()
    app = make_app(tmp_path, reference_backend, library_dirs=[STARTER_DIR, personal])
    async with app.run_test(size=(120, 36)) as pilot:
        await open_chat(pilot, app, reference_backend)
        (personal / "mine.toml").write_text(
            '[[reply]]\nid = "mine"\ntitle = "我的话术"\nbody = "这是我自己的话术"\nshortcut = "wd"\n',
            encoding="utf-8",
        )
        await wait_until(pilot, lambda: app.replies.by_shortcut("wd") is not None, "the reload", timeout=10)
        await type_text(pilot, "/wd")
        await pilot.press("tab")
        assert app.query_one(Composer).text == "这是我自己的话术"


async def test_power_user_saves_the_composer_as_a_reply_edits_it_and_deletes_it(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_chat(pilot, app, reference_backend)
        await type_text(pilot, "{customer.name|您}好，您的包裹已到驿站，请凭取件码领取。")
        await pilot.press("ctrl+s")
        form = app.screen
        assert isinstance(form, ReplyForm)
        form.query_one("#title").value = "驿站取件"
        form.query_one("#shortcut").value = "tk"  # taken by the starter's refund reply
        await pilot.press("ctrl+s")
        assert app.screen is form, "refused: the form stays open, nothing is lost"
        assert "/tk is already used by" in str(form.query_one("#error").render())
        form.query_one("#shortcut").value = "yz"
        await pilot.press("ctrl+s")
        assert not isinstance(app.screen, ReplyForm)
        assert app.replies.by_shortcut("yz") is not None
        assert (tmp_path / "library").is_dir() and list((tmp_path / "library").glob("*.toml"))

        app.query_one(Composer).clear()
        await type_text(pilot, "/yz")
        await pilot.press("tab")
        assert app.query_one(Composer).text == "陈静好，您的包裹已到驿站，请凭取件码领取。"

        await pilot.press("f2")
        await type_text(pilot, "yizhan")
        await pilot.press("f3")
        form = app.screen
        assert isinstance(form, ReplyForm) and form.query_one("#title").value == "驿站取件"
        form.query_one("#folder").value = "物流"
        await pilot.press("ctrl+s")
        key = app.replies.by_shortcut("yz").key
        assert app.replies.library.replies[key].folder == "物流", "moved to another folder"

        await pilot.press("f2")
        await type_text(pilot, "yizhan")
        await pilot.press("f8")
        await pilot.press("y")
        assert app.replies.by_shortcut("yz") is None


async def test_an_faq_entry_inserts_its_answer(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_chat(pilot, app, reference_backend)
        await type_text(pilot, "/")
        await type_text(pilot, "无法登录+安卓")
        panel = app.screen
        assert isinstance(panel, ReplyPanel) and panel.query_one("Input").value == "/无法登录+安卓"
        await pilot.press("enter")
        assert app.query_one(Composer).text.startswith("请先更新到最新版本并清除应用缓存")
