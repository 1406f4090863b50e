"""Quick replies in the console: the panel, shortcut expansion, placeholders (real backend on 127.0.0.1)."""

from __future__ import annotations

from textual.widgets import Input, OptionList, Static

from console.app import AgentConsoleApp
from local_cache.reference_client import ReferenceApiClient
from quick_replies.library import STARTER_DIR
from tests.pilot_helpers import type_text, wait_until
from widgets.composer import Composer
from widgets.screens.prompts import ConfirmScreen
from widgets.screens.reply_form import ReplyForm
from widgets.screens.reply_panel import ReplyPanel


def make_app(tmp_path, backend, library_dirs=None) -> AgentConsoleApp:
    return AgentConsoleApp(
        tmp_path / "agent.sqlite3", lambda: ReferenceApiClient(backend.url, backend.token), long_poll_wait=1.0,
        library_dirs=library_dirs or [STARTER_DIR, tmp_path / "library"],
    )


async def open_chat(pilot, app, backend, name="陈静"):
    chat_id = backend.open_chat(name, "web")
    backend.customer_says(chat_id, "杯子碎了，我要退款")
    await wait_until(pilot, lambda: chat_id in app.desk.chats and app.desk.current_chat_id == chat_id, "the chat")
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
        text = app.desk.query_one(Composer).text
        assert text.startswith("陈静好，非常抱歉给您带来不便。我已为您提交退款申请")
        assert reference_backend.messages(app.desk.current_chat_id)[-1]["author"] == "customer", "inserted, not sent"
        assert app.store.reply_usage.counts()["refund-apology-zh"][0] == 1


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
        assert app.desk.query_one(Composer).text.startswith("Hi Emily Carter, this is ")


async def test_a_shortcut_typed_inside_a_message_expands_in_place(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_chat(pilot, app, reference_backend)
        await type_text(pilot, "好的。 /dd")
        await pilot.press("space")
        assert app.desk.query_one(Composer).text == "好的。 好的，请您稍等，正在为您查询，大约需要一两分钟。"
        await type_text(pilot, " a/b ")  # not a shortcut: a slash inside a word stays text
        assert app.desk.query_one(Composer).text.endswith(" a/b ")


async def test_a_shortcut_expands_after_chinese_text_and_punctuation_without_a_space(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_chat(pilot, app, reference_backend)
        composer = app.desk.query_one(Composer)
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
        composer = app.desk.query_one(Composer)
        assert "{order.id}" in composer.text and composer.selected_text == "{order.id}"
        await type_text(pilot, "DD2026")  # typing replaces the selected placeholder
        assert "订单 DD2026 目前" in composer.text and "{order.tracking}" in composer.text

        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen), "a leftover placeholder asks first"
        await pilot.press("n")
        assert "{order.tracking}" in composer.text and app.store.outbox.depth() == 0
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
        assert app.desk.query_one(Composer).text == "这是我自己的话术"


async def test_power_user_saves_the_composer_as_a_reply_edits_it_and_deletes_it(tmp_path, reference_backend):
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "mine.toml").write_text(
        '[[reply]]\nid = "mine"\ntitle = "我的话术"\nbody = "我自己的"\nshortcut = "wd"\n', encoding="utf-8")
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_chat(pilot, app, reference_backend)
        await type_text(pilot, "{customer.name|您}好，您的包裹已到驿站，请凭取件码领取。")
        await pilot.press("ctrl+s")
        form = app.screen
        assert isinstance(form, ReplyForm)
        form.query_one("#title").value = "驿站取件"
        # Taken by another of the agent's own replies (one of the starter's would be taken over instead).
        form.query_one("#shortcut").value = "wd"
        await pilot.press("ctrl+s")
        assert app.screen is form, "refused: the form stays open, nothing is lost"
        assert "/wd is already used by" in str(form.query_one("#error").render())
        form.query_one("#shortcut").value = "yz"
        await pilot.press("ctrl+s")
        assert not isinstance(app.screen, ReplyForm)
        assert app.replies.by_shortcut("yz") is not None
        assert [p for p in (tmp_path / "library").glob("*.toml") if p.name != "mine.toml"]

        app.desk.query_one(Composer).clear()
        await type_text(pilot, "/yz")
        await pilot.press("tab")
        assert app.desk.query_one(Composer).text == "陈静好，您的包裹已到驿站，请凭取件码领取。"

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
        assert app.desk.query_one(Composer).text.startswith("请先更新到最新版本并清除应用缓存")


# --- browsing without typing, and a preview of what inserting would put in the chat ----------------------

def panel_rows(panel: ReplyPanel) -> list[str]:
    """The rows the panel lists, as shown (section headings too)."""
    return [str(option.prompt) for option in panel.query_one("#results", OptionList).options]


def highlighted_row(panel: ReplyPanel) -> str:
    return str(panel.query_one("#results", OptionList).highlighted_option.prompt)


def preview_text(panel: ReplyPanel) -> str:
    return panel.query_one("#preview", Static).content.plain


async def test_an_empty_query_lists_the_reply_just_used_first_under_recently_used(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_chat(pilot, app, reference_backend)
        await pilot.press("f2")
        await type_text(pilot, "wait")  # Please hold on
        await pilot.press("enter")
        await pilot.press("f2")
        await type_text(pilot, "tk")
        await pilot.press("enter")
        app.desk.query_one(Composer).clear()

        await pilot.press("f2")
        panel = app.screen
        assert isinstance(panel, ReplyPanel) and panel.query_one(Input).value == ""
        rows = panel_rows(panel)
        assert rows[:1] == ["Recently used"] and rows[1].startswith("退款申请 致歉  /tk")
        assert rows[2].startswith("Please hold on  /wait") and rows[3] == "Folders"
        assert highlighted_row(panel) == rows[1], "the latest first, ready for Enter"
        await pilot.press("enter")
        assert app.desk.query_one(Composer).text.startswith("陈静好，非常抱歉给您带来不便。")

        app.desk.query_one(Composer).clear()
        await type_text(pilot, "/")  # opened from the composer: the "/" alone is no query either
        assert isinstance(app.screen, ReplyPanel) and panel_rows(app.screen)[:1] == ["Recently used"]


async def test_a_team_folder_opens_with_the_keys_and_a_reply_inserts_from_it(tmp_path, reference_backend):
    team, personal = tmp_path / "team", tmp_path / "library"
    team.mkdir()
    (team / "after-sales.toml").write_text(
        'folder = "售后 Team"\n'
        '[[reply]]\nid = "t-return"\ntitle = "退货地址"\nbody = "请寄回：上海市……"\n'
        '[[reply]]\nid = "t-exchange"\ntitle = "换货"\nbody = "{customer.name|您}，换货请在订单页申请。"\n',
        encoding="utf-8")
    app = make_app(tmp_path, reference_backend, library_dirs=[STARTER_DIR, team, personal])
    async with app.run_test(size=(120, 36)) as pilot:
        await open_chat(pilot, app, reference_backend)
        await pilot.press("f2")
        panel = app.screen
        assert panel_rows(panel)[:2] == ["Folders", "▸ 售后 Team (2)  team"], "no use yet: the folders, team's first"
        assert highlighted_row(panel) == "▸ 售后 Team (2)  team"

        await pilot.press("right")
        assert panel_rows(panel) == ["退货地址", "换货"]
        assert "▸ 售后 Team" in panel.query_one("#count", Static).content.plain, "the query line shows where"
        await pilot.press("left")
        assert highlighted_row(panel) == "▸ 售后 Team (2)  team", "back where it was"
        await pilot.press("enter")
        await pilot.press("down")
        assert preview_text(panel) == "陈静，换货请在订单页申请。"
        await pilot.press("enter")
        assert not isinstance(app.screen, ReplyPanel)
        assert app.desk.query_one(Composer).text == "陈静，换货请在订单页申请。"


async def test_the_preview_shows_what_inserting_would_put_in_this_chat(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_chat(pilot, app, reference_backend)
        await pilot.press("f2")
        await type_text(pilot, "xx")
        panel = app.screen
        assert highlighted_row(panel).startswith("结束语 致谢  /xx")
        assert preview_text(panel) == "感谢您的咨询，陈静的问题我们已记录。后续有任何需要，随时联系我们。"

        panel.query_one(Input).value = "wl"  # still to fill in: marked, as the composer will select it
        await pilot.pause()
        shown = panel.query_one("#preview", Static).content
        assert "{order.id}" in shown.plain
        start = shown.plain.index("{order.id}")
        assert any(span.start <= start < span.end and "reverse" in str(span.style) for span in shown.spans)


async def test_saving_a_reply_with_a_starter_shortcut_takes_it_and_says_what_it_shadowed(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_chat(pilot, app, reference_backend)
        assert app.replies.by_shortcut("tk").title == "退款申请 致歉"
        assert not [text for text in app.alert_history if "shadows" in text], "known shadowing is not repeated"
        await type_text(pilot, "您好，退款已经原路退回，请留意到账。")
        await pilot.press("ctrl+s")
        form = app.screen
        assert isinstance(form, ReplyForm)
        form.query_one("#title").value = "我的退款话术"
        form.query_one("#shortcut").value = "tk"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, ReplyForm), "the form closed")
        await wait_until(pilot, lambda: app.replies.by_shortcut("tk").title == "我的退款话术", "/tk is mine now")
        shadowed = [text for text in app.alert_history if "shadows" in text]
        assert len(shadowed) == 1 and shadowed[0].startswith("/tk: 我的退款话术 (personal) shadows 退款申请 致歉")
