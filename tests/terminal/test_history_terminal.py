"""History search in a real pty (the installed console, a real backend): alt+h, a Chinese query typed as an input
method commits it, Enter on a closed chat's message opens that chat read-only, Esc returns to the desk."""

from __future__ import annotations

import os
import uuid

import httpx
import pytest

from tests.terminal_session import console

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="no pseudo-terminals on this platform")

ALT_H = "\x1bh"  # what a terminal sends for alt+h (ESC, then the letter)


def test_alt_h_finds_a_closed_chat_and_enter_opens_it_read_only(tmp_path, backend):
    closed = backend.open_chat("陈静", "web", id="cu_chen")
    backend.customer_says(closed, "上次的退款还没到账")
    httpx.post(f"{backend.url}/api/v1/chats/{closed}/actions", json={"type": "close"}, timeout=10,
               headers={"Authorization": f"Bearer {backend.token}", "Idempotency-Key": uuid.uuid4().hex},
               ).raise_for_status()
    backend.customer_says(backend.open_chat("陈静", "web", id="cu_chen"), "你好，还在吗")
    session = console(tmp_path, backend, cols=120, rows=32)
    try:
        session.wait_for_text("● online")
        session.wait_for_text("你好，还在吗")
        session.send(ALT_H)
        session.wait_for_text("Search every message")
        session.send("退款", "\x1b2")  # one write, as an input method commits a phrase; then alt+2
        session.wait_for_text("1 message(s), newest first")
        assert "上次的退款还没到账" in session.text() and "closed" in session.text()
        assert "™" not in session.text(), "alt+2 types nothing into the search"
        session.send("enter")
        session.wait_for_text("Read-only · closed chat of")
        session.send("escape")
        session.wait_for(lambda: "Read-only" not in session.text() and "你好，还在吗" in session.text(),
                         "back at the desk")
        session.send("\x1bv")  # alt+v: the customer's previous chats (ESC b would be ctrl+left)
        session.wait_for_text("Previous chats of 陈静")
        session.send("1")
        session.wait_for_text("Read-only · closed chat of")
    finally:
        session.quit()
