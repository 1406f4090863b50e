"""Orders in a real terminal: alt+o, a digit, f9 and a quick reply, typed as a terminal sends them to the
installed console, read back from the screen."""

from __future__ import annotations

import os

import pytest

from tests.terminal_session import composer_text, console

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="no pseudo-terminals on this platform")

SHIPPING = {"name": "王小明", "phone": "13812345678", "region": "北京市朝阳区", "address": "望京街道 10 号楼 502"}


def test_the_quoted_order_opens_in_the_panel_reveals_its_recipient_and_fills_a_reply(tmp_path, backend):
    chat_id = backend.open_chat("王小明", "web")
    backend.customer_says(chat_id, "订单 DD20261120553 到哪了")
    backend.add_order(chat_id, "DD20261101001", status="delivered")
    backend.add_order(chat_id, "DD20261120553", status="shipped", carrier="顺丰", tracking_no="SF1234567890",
                      shipping=SHIPPING)
    session = console(tmp_path, backend, cols=150, rows=40)
    try:
        session.wait_for_text("到哪了")
        session.send("alt+o")
        session.wait_for_text("(quoted)")
        assert "1 = DD20261120553" in session.text(), "the number the customer wrote is first"
        session.send("1")
        session.wait_for_text("王** 138****5678")
        assert "13812345678" not in session.text()
        session.send("f9")
        session.wait_for_text("王小明 13812345678")
        session.send("f9")
        session.wait_for_text("王** 138****5678")
        session.send("ctrl+r", "/wl", "tab")
        session.wait_for(lambda: "SF1234567890" in composer_text(session), "the reply filled in the composer")
        assert "DD20261120553" in composer_text(session) and "{order." not in composer_text(session)
    finally:
        session.quit()

