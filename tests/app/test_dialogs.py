"""Dialogs and headers show their whole text at the sizes agents run (100x30 and 160x45), in English and Chinese:
questions wrap instead of being cut, and a split-view header keeps the chat's state and priority."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.app import App
from textual.containers import Vertical

from console.app import AgentConsoleApp
from console.chat_actions import RESOLUTIONS
from console.sending import summary
from local_cache.reference_client import ReferenceApiClient
from tests.pilot_helpers import wait_until
from tests.screen_capture import ShownScreen
from widgets.composer import Composer
from widgets.i18n import set_language, tr
from widgets.screens.prompts import ChoiceScreen, ConfirmScreen, PromptScreen

SIZES = [(100, 30), (160, 45)]
WARNINGS = {
    "en": "Sorry, that's not our department, we can't refund this order, it's your fault and company policy.",
    "zh": "这绝对不可能是我们发错的，不归我们管，您太敏感了，抱歉这个订单不能退款，这是公司规定。",
}
PERSONAL_DATA = "电话13812345678，邮箱zhang.san@example.com，请核对"


@pytest.fixture
def english_after():
    yield
    set_language("en")  # the app sets the language for the process


def squeezed(text: str) -> str:
    """Without the spaces and line breaks that wrapping adds or takes away."""
    return "".join(text.split())


async def dialog_text(pilot) -> str:
    """The dialog's box as the terminal shows it: what is cut off is not there."""
    box = pilot.app.screen.query_one(Vertical).content_region
    shown = await ShownScreen.of(pilot)
    return squeezed("".join(shown.text(y, box.x, box.right) for y in range(box.y, min(box.bottom, shown.rows))))


def make_app(tmp_path, backend, language) -> AgentConsoleApp:
    return AgentConsoleApp(tmp_path / "agent.sqlite3", lambda: ReferenceApiClient(backend.url, backend.token),
                           long_poll_wait=1.0, language=language)


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("size", SIZES)
async def test_close_lint_and_personal_data_dialogs_show_their_whole_question(
    tmp_path, reference_backend, english_after, size, language, terminal_writes
):
    chat_id = reference_backend.open_chat("欧阳娜娜", "wechat")
    reference_backend.customer_says(chat_id, "杯子碎了，我要退款")
    app = make_app(tmp_path, reference_backend, language)
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == chat_id, "the chat")
        await pilot.press("f7")
        assert isinstance(app.screen, PromptScreen)
        close = tr("Close this chat. Resolution tag ({choices}):", choices=RESOLUTIONS)
        assert squeezed(close) in await dialog_text(pilot), "the whole resolution list"
        await pilot.press("escape")

        composer = app.desk.query_one(Composer)
        composer.text = WARNINGS[language]  # typing it key by key is tested elsewhere (and takes seconds here)
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen)
        warnings = [f for f in app.linter.lint(WARNINGS[language]) if f.level == "warning"]
        assert len(warnings) > 1
        question = tr("Send with {summary}?", summary=summary(WARNINGS[language], warnings))
        assert squeezed(question) in await dialog_text(pilot)
        await pilot.press("n")

        composer.text = PERSONAL_DATA
        await pilot.press("enter")
        assert isinstance(app.screen, PromptScreen)
        errors = [f for f in app.linter.lint(PERSONAL_DATA) if f.level == "error"]
        refusal = tr("Not sent: {summary}. Fix it (ctrl+t, ctrl+g), or type why it must go as it is — the reason "
                     "is recorded with the message.", summary=summary(PERSONAL_DATA, errors))
        assert squeezed(refusal) in await dialog_text(pilot)


LONG_QUESTIONS = [
    "未发送：手机号 / a mobile number in clear text — mask it — “13812345678”（另有 2 处）。请修改（ctrl+t、ctrl+g），"
    "或填写必须原样发送的理由——理由会随消息记录。",
    "Send with 推诿责任 / shifting blame — say what you will do about it — “that's not our department” (and 4 more)?"
    " The customer has waited for eleven minutes and asked twice already.",
]


@pytest.mark.parametrize("question", LONG_QUESTIONS, ids=["zh", "en"])
@pytest.mark.parametrize("size", SIZES)
async def test_every_dialog_kind_wraps_a_long_question(size, question, terminal_writes):
    choices = [("u", "urgent", "urgent 紧急"), ("i", "important", "important 重要"), ("n", "normal", "normal 普通")]
    for dialog in (PromptScreen(question), ConfirmScreen(question), ChoiceScreen(question, choices)):
        app = App()
        async with app.run_test(size=size) as pilot:
            app.push_screen(dialog)
            await pilot.pause()
            shown = await dialog_text(pilot)
            assert squeezed(question) in shown, type(dialog).__name__
            if isinstance(dialog, ChoiceScreen):
                assert squeezed("n = normal 普通") in shown, "the last choice too"


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("size", SIZES)
async def test_split_view_headers_keep_state_and_priority(tmp_path, reference_backend, english_after, size, language,
                                                         terminal_writes):
    first = reference_backend.open_chat("欧阳娜娜娜娜娜娜娜娜", "wechat", title="女士", vip=True)
    second = reference_backend.open_chat("Alexandria Montgomery-Whitfield", "livestream", title="Ms")
    for chat_id in (first, second):
        reference_backend.customer_says(chat_id, "在吗？")
    app = make_app(tmp_path, reference_backend, language)
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: {first, second} <= set(app.desk.chats) and app.desk.current_chat_id,
                         "both chats")
        await pilot.press("ctrl+backslash")
        await wait_until(pilot, lambda: app.desk.side_chat_id is not None, "the split view")
        await pilot.pause()
        shown_screen = await ShownScreen.of(pilot)
        for header, chat_id in (("main", app.desk.current_chat_id), ("side", app.desk.side_chat_id)):
            widget = (app.desk.main_pane if header == "main" else app.desk.side_pane).header
            box = widget.content_region
            shown = shown_screen.text(box.y, box.x, box.right).rstrip()
            chat = app.desk.chats[chat_id]
            state, priority = tr(chat.state.replace("_", " ")), tr(chat.priority)
            assert shown.endswith(f"{state} · {priority}"), (header, shown)
            assert cell_len(shown) <= box.width
            assert cell_len(str(widget.render())) <= box.width, "fitted, not cropped"
