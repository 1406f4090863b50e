"""A new chat or a message in a background chat rings or notifies, as configured (real backend, real store)."""

from __future__ import annotations

import html

import pytest

from console.app import AgentConsoleApp
from console.config import ConfigError, resolve_settings
from local_cache.reference_client import ReferenceApiClient
from quick_replies.library import STARTER_DIR
from tests.pilot_helpers import type_text, wait_until


def make_app(tmp_path, backend, alerts):
    return AgentConsoleApp(
        tmp_path / "agent.sqlite3", lambda: ReferenceApiClient(backend.url, backend.token), long_poll_wait=1.0,
        library_dirs=[STARTER_DIR, tmp_path / "library"], alerts=alerts,
    )


@pytest.mark.parametrize("alerts, rings, notifies", [("both", True, True), ("bell", True, False),
                                                     ("notify", False, True), ("off", False, False)])
async def test_activity_in_a_background_chat_alerts_as_configured(tmp_path, reference_backend, alerts, rings,
                                                                   notifies):
    open_chat = reference_backend.open_chat("林小雨", "app")
    reference_backend.customer_says(open_chat, "在吗")
    app = make_app(tmp_path, reference_backend, alerts)
    bells = []
    async with app.run_test(size=(120, 36)) as pilot:
        app.bell = lambda: bells.append(1)  # the terminal bell itself is not observable in a test
        await wait_until(pilot, lambda: app.desk.current_chat_id == open_chat, "the first chat open")
        reference_backend.customer_says(open_chat, "还有一个问题")
        await wait_until(pilot, lambda: len(app.store.chats.transcript(open_chat)) == 2, "the open chat's message")
        assert bells == [], "the chat the agent is looking at does not ring"

        background = reference_backend.open_chat("王建国", "wechat")
        reference_backend.customer_says(background, "我的快递呢")
        await wait_until(pilot, lambda: background in app.desk.chats, "the new chat")
        await pilot.pause(0.2)
        assert bool(bells) is rings
        assert any("王建国" in text for text in app.alert_history) is notifies


def test_an_unknown_alerts_setting_is_refused_with_the_choices(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('alerts = "loud"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="bell, notify, both, off"):
        resolve_settings(backend=None, token=None, agent=None, data_dir=tmp_path, config_path=config)


async def test_arrivals_coalesce_into_one_line_and_no_toast_covers_the_screen(tmp_path, reference_backend):
    from textual.widgets._toast import Toast

    from widgets.message_line import MessageLine
    from widgets.screens.alert_log import AlertLogScreen

    first = reference_backend.open_chat("林小雨", "app")
    reference_backend.customer_says(first, "在吗")
    app = make_app(tmp_path, reference_backend, "notify")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == first, "the first chat open")
        others = [reference_backend.open_chat(name, "web") for name in ("陈静", "赵先生", "王建国", "Emily")]
        for chat_id in others:
            reference_backend.customer_says(chat_id, "你好")
        reference_backend.customer_says(others[0], "在吗？")
        await wait_until(pilot, lambda: all(getattr(app.desk.chats.get(c), "unread", 0) for c in others),
                         "arrivals")
        await wait_until(pilot, lambda: app.desk.chats[others[0]].unread == 2, "the second message")
        await pilot.pause(0.1)
        line = str(app.desk.query_one(MessageLine).render())
        assert line.startswith("• 5 new messages: ") and line.endswith(" …"), "the line names three, then …"
        assert len([text for text in app.alert_history if "new message" in text]) == 1, "one line, grown"
        assert not app.desk.query(Toast), "nothing is drawn over the composer, a dialog or the search panel"
        await pilot.press("ctrl+p")
        await type_text(pilot, "Recent alerts")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, AlertLogScreen), "the alert log")
        shown = html.unescape(app.export_screenshot()).replace("\xa0", " ")
        assert "5 new messages" in shown
        assert all(name in shown for name in ("陈静", "赵先生", "王建国", "Emily")), "the log names every chat"
