"""Every interface text has its Simplified Chinese, with the same placeholders; the console runs in Chinese."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from backend.simulated_orders import STATUSES as ORDER_STATES
from console.app import AgentConsoleApp
from console.key_bindings import PALETTE_ACTIONS
from local_cache.reference_client import ReferenceApiClient
from local_cache.sla import ACTIVE_STATES, PRIORITIES
from tests.pilot_helpers import wait_until
from widgets.customer_panel import NUMBER_LABELS
from widgets.i18n import set_language, tr
from widgets.i18n_zh import ZH
from widgets.transcript import DELIVERY_MARKS

ROOT = Path(__file__).resolve().parents[2]


def literal_texts() -> set[str]:
    """What the code passes to tr() as a literal, and every key binding's description."""
    found = set()
    for package in ("widgets", "console"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name == "tr" and node.args and isinstance(node.args[0], ast.Constant):
                    found.add(node.args[0].value)
                if name == "Binding" and len(node.args) >= 3 and isinstance(node.args[2], ast.Constant):
                    found.add(node.args[2].value)
    return found


def vocabulary() -> set[str]:
    """Texts that reach tr() as values: states, priorities, delivery marks, labels, palette entries."""
    states = {state.replace("_", " ") for state in (*ACTIVE_STATES, "transferred", "closed")}
    orders = {status.replace("_", " ") for status in ORDER_STATES}
    return (states | set(PRIORITIES) | {"reply", "error", "warning", "suggestion"} | orders
            | {label for label, _ in DELIVERY_MARKS.values()} | {label for _, label in NUMBER_LABELS}
            | {description for description, *_ in PALETTE_ACTIONS}
            | {help_text for *_, help_text in PALETTE_ACTIONS} | {"palette"})  # Textual's own footer key


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_interface_text_has_a_chinese_translation_with_the_same_placeholders():
    texts = literal_texts() | vocabulary()
    assert len(texts) > 100
    assert sorted(text for text in texts if text not in ZH) == []
    assert [text for text in texts if fields(text) != fields(ZH[text])] == []


@pytest.fixture
def chinese():
    set_language("zh")
    yield
    set_language("en")


def test_tr_fills_named_values_in_either_language(chinese):
    assert tr("outbox {depth}", depth=3) == "待发 3"
    set_language("en")
    assert tr("outbox {depth}", depth=3) == "outbox 3"
    with pytest.raises(ValueError, match="known: en, zh"):
        set_language("fr")


def test_sent_says_sent_and_nothing_claims_the_customer_received_a_message(chinese):
    # "Sent" means the backend accepted it (README, Delivery guarantees); the console never knows that the
    # customer's device shows it, so no label may say 送达 (delivered).
    assert tr(DELIVERY_MARKS["sent"][0]) == "✓ 已发送"
    assert [(text, label) for text, label in ZH.items() if "送达" in label] == []


async def test_the_console_in_chinese(tmp_path, reference_backend, chinese):
    chat_id = reference_backend.open_chat("林小雨", "app")
    reference_backend.customer_says(chat_id, "在吗？")
    app = AgentConsoleApp(tmp_path / "agent.sqlite3",
                          lambda: ReferenceApiClient(reference_backend.url, reference_backend.token),
                          long_poll_wait=1.0, language="zh")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == chat_id and app.desk.sync_status.online, "the chat")
        await pilot.pause()
        assert "● 在线" in str(app.desk.query_one("#status-bar").render())
        assert "f3 转接" in str(app.desk.query_one("#key-line").render())
        assert "回复 0:" in app.desk.query_one("#chat-list").row_text(0)
        footer = " ".join(str(key.render()) for key in app.desk.query("FooterKey"))
        assert "发送" in footer and "快捷语" in footer and "命令面板" in footer
        assert ("f1", "帮助") in app.key_help_rows()
        await pilot.press("ctrl+p")
        assert app.screen.query_one("CommandInput").placeholder == "搜索命令…"
        await pilot.press("escape")
