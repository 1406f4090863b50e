"""The phrase linter in the composer, driven like an agent would (real backend on 127.0.0.1, real store)."""

from __future__ import annotations

from tests.app.test_app_quick_replies import make_app, open_chat
from tests.pilot_helpers import type_text, wait_until
from widgets.composer import Composer
from widgets.findings_bar import FindingsBar
from widgets.screens.prompts import ConfirmScreen, PromptScreen
from widgets.transcript import Transcript


def agent_messages(backend, chat_id):
    return [m["text"] for m in backend.messages(chat_id) if m["author"] == "agent"]


async def test_findings_are_marked_as_the_agent_types(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_chat(pilot, app, reference_backend)
        await type_text(pilot, "这绝对不可能")
        composer = app.desk.query_one(Composer)
        await wait_until(pilot, lambda: app.desk.query_one(FindingsBar).display, "the findings bar")
        assert [(f.rule, f.start, f.end) for f in composer.findings] == [("absolutist", 1, 6)]
        await pilot.pause()
        marked = "".join(segment.text for segment in composer.render_line(0) if segment.style and
                         segment.style.underline)
        assert marked == "绝对不可能", "what the agent sees on screen is marked"
        assert "经系统查询暂未发现" in str(app.desk.query_one(FindingsBar).render())
        for _ in range(6):
            await pilot.press("backspace")
        await wait_until(pilot, lambda: not app.desk.query_one(FindingsBar).display, "the bar hidden again")


async def test_an_error_is_refused_with_the_reason_and_nothing_is_queued(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_chat(pilot, app, reference_backend)
        await type_text(pilot, "麻烦把密码告诉我")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), "the refusal")
        assert "never ask for passwords" in str(app.screen.query_one("Label").render())
        await pilot.press("escape")
        assert app.store.outbox.items() == [] and app.desk.query_one(Composer).text == "麻烦把密码告诉我"


async def test_an_override_needs_a_typed_reason_which_is_recorded(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = await open_chat(pilot, app, reference_backend)
        await type_text(pilot, "已为您改成13812345678")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), "the refusal")
        await pilot.press("enter")  # an empty reason is no reason
        assert app.store.outbox.items() == []
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), "the refusal again")
        await type_text(pilot, "customer asked to confirm the number")
        await pilot.press("enter")
        sent = "已为您改成13812345678"
        await wait_until(pilot, lambda: sent in agent_messages(reference_backend, chat_id), "delivery")
        [override] = app.store.audit.lint_overrides()
        assert override["reason"] == "customer asked to confirm the number"
        assert [f["rule"] for f in override["findings"]] == ["pii-mobile"]


async def test_warnings_ask_once(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = await open_chat(pilot, app, reference_backend)
        await type_text(pilot, "这绝对不可能")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("n")
        assert app.store.outbox.items() == []
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question again")
        await pilot.press("y")
        await wait_until(pilot, lambda: "这绝对不可能" in agent_messages(reference_backend, chat_id), "delivery")
        assert app.store.audit.lint_overrides() == [], "a warning needs no recorded reason"


async def test_a_suggestion_is_applied_and_personal_data_masked_in_place(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = await open_chat(pilot, app, reference_backend)
        composer = app.desk.query_one(Composer)
        await type_text(pilot, "这个订单不能退款，卡号6222021234567890128")
        await wait_until(pilot, lambda: len(composer.findings) == 2, "two findings")
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: "622202*********0128" in composer.text, "the card masked")
        await pilot.press("home")
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: composer.findings == [], "nothing left to flag")
        assert composer.text == "我们可以为您申请补偿券，卡号622202*********0128", "the clause is rewritten whole"
        await pilot.press("enter")
        sent = "我们可以为您申请补偿券，卡号622202*********0128"
        await wait_until(pilot, lambda: sent in agent_messages(reference_backend, chat_id), "sent without a question")


async def test_a_high_risk_customer_marks_the_chat_and_personal_data_is_masked_until_revealed(
    tmp_path, reference_backend
):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = await open_chat(pilot, app, reference_backend)
        reference_backend.customer_says(chat_id, "钱要不回来我真的不想活了，我的卡号6222021234567890128")
        await wait_until(pilot, lambda: app.desk.chats[chat_id].high_risk == "high-risk-self-harm", "the mark")
        name = app.desk.chats[chat_id].customer_name
        assert any(text.startswith(f"High-risk message from {name}: ") for text in app.alert_history), \
            "the alert says whose chat it is: f12 escalates the open one"
        transcript = app.desk.query_one(Transcript)
        await wait_until(pilot, lambda: any("622202*********0128" in line for line in transcript.plain_lines()),
                         "the masked card in the transcript")
        assert not any("6222021234567890128" in line for line in transcript.plain_lines())
        assert "6222021234" not in app.desk.chats[chat_id].last_message_preview
        await pilot.press("f9")
        assert any("6222021234567890128" in line for line in transcript.plain_lines())
        assert [chat for chat, _ in app.store.audit.pii_reveals()] == [chat_id], "the reveal is logged"
        await pilot.press("f9")
        assert not any("6222021234567890128" in line for line in transcript.plain_lines())

    again = make_app(tmp_path, reference_backend)  # the mark survives a restart, and is not re-raised
    async with again.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: chat_id in again.desk.chats, "the cached chat")
        assert again.desk.chats[chat_id].high_risk == "high-risk-self-harm"
        assert again.store.audit.unchecked_customer_messages(chat_id) == []


async def test_a_quick_reply_that_breaks_a_rule_is_flagged_in_the_panel(tmp_path, reference_backend):
    personal = tmp_path / "library"
    personal.mkdir()
    (personal / "mine.toml").write_text(
        '[[reply]]\nid = "pw"\ntitle = "登录问题"\nbody = "麻烦把密码告诉我"\nshortcut = "dlwt"\n', encoding="utf-8")
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_chat(pilot, app, reference_backend)
        assert ("登录问题", "error") in [(title, level) for title, level, _ in app.replies.flagged()], "linted on load"
        assert any("登录问题" in text for text in app.alert_history), "and the agent is told"
        results = app.replies.search("dlwt", {})
        assert (results[0].key, results[0].flag_level) == ("pw", "error")
        assert app.replies.search("tk", {})[0].flag_level == ""


async def test_a_pasted_megabyte_leaves_the_console_responsive_and_is_refused_with_its_length(
    tmp_path, reference_backend
):
    """Linting an 850,000-character paste took ~10 s on the interface thread at each change; over the message
    limit it is not linted (it cannot be sent whatever it says), and Enter says why, keeping the text."""
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_chat(pilot, app, reference_backend)
        composer = app.desk.query_one(Composer)
        pasted = "您好，电话13812345678 " * 50_000
        composer.insert(pasted)
        await type_text(pilot, "!")
        await wait_until(pilot, lambda: composer.text.endswith("!"), "typing after the paste")
        assert composer.findings == []
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.alert_history and app.alert_history[-1].startswith(
            f"Not sent: the message is {len(pasted) + 1:,} characters; the limit is 5,000."), "the refusal")
        assert composer.text == pasted + "!" and app.store.outbox.items() == []
        composer.clear()
        await type_text(pilot, "电话13812345678")
        await wait_until(pilot, lambda: composer.findings, "a short text is linted again")
