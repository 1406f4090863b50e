"""An internal note typed in a real terminal: alt+p as the terminal sends it (ESC p), the text, Enter. The backend
holds a private message and nothing the customer could see; the screen said it was a note before Enter."""

from __future__ import annotations

import os

import httpx
import pytest

from tests.reference_backend import CHANNEL_TOKEN
from tests.terminal_session import composer_text, console

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="no pseudo-terminals on this platform")

ALT_P = "\x1bp"  # what a terminal sends for alt+p (meta sends escape)


def test_alt_p_then_enter_adds_a_private_note_and_nothing_the_customer_sees(tmp_path, backend):
    chat_id = backend.open_chat("陈静", "web")
    backend.customer_says(chat_id, "我的快递到哪了？")
    session = console(tmp_path, backend)
    try:
        session.wait_for_text("● online")
        session.wait_for_text("我的快递到哪了")
        session.send(ALT_P, "客户第二次来问，先查物流")
        session.wait_for_text("Internal note — the customer will not see this")
        session.wait_for_text("客户第二次来问，先查物流")
        assert not any("p客户" in line for line in session.lines()), "alt+p is a key, not a typed p"
        session.send("enter")
        session.wait_for(lambda: [m["author"] for m in backend.messages(chat_id)] == ["customer", "agent"],
                         "the note on the backend")
        [customer, note] = backend.messages(chat_id)
        assert (note["text"], note["private"]) == ("客户第二次来问，先查物流", True)
        assert backend.chat(chat_id)["state"] == "opened", "the customer has not been answered"
        seen = httpx.get(f"{backend.url}/api/v1/channel/chats/{chat_id}/messages",
                         headers={"Authorization": f"Bearer {CHANNEL_TOKEN}"}, timeout=10).json()["messages"]
        assert [m["text"] for m in seen] == ["我的快递到哪了？"], "nothing on the customer's side"
        session.wait_for_text("┃ 客户第二次来问，先查物流")  # shown as a note
        session.wait_for(lambda: "Internal note — the customer will not see this" not in session.text(),
                         "the composer back to reply")
    finally:
        session.quit()


def test_alt_p_stays_a_key_when_a_long_text_or_another_key_follows_in_the_same_burst(tmp_path, backend):
    """Textual replays an unfinished ESC sequence as text once 32 characters or another ESC arrive: alt+p became
    "^p" typed into a reply (console/alt_keys.py). A fast typist's burst: alt+p, 40 characters, alt+p again."""
    chat_id = backend.open_chat("陈静", "web")
    backend.customer_says(chat_id, "我的快递到哪了？")
    session = console(tmp_path, backend)
    text = "this internal note says the customer is a known fraudster"
    try:
        session.wait_for_text("我的快递到哪了")
        session.send(ALT_P, text)
        session.wait_for_text("Internal note — the customer will not see this")
        session.wait_for(lambda: composer_text(session).split() == text.split(), "the text, all of it, as typed")
        session.send("enter")
        session.wait_for(lambda: len(backend.messages(chat_id)) == 2, "the note on the backend")
        assert (backend.messages(chat_id)[1]["text"], backend.messages(chat_id)[1]["private"]) == (text, True)
        session.send(ALT_P, "x" * 40, ALT_P)  # on, forty characters, off: all in one write
        session.wait_for(lambda: "Internal note — the customer will not see this" not in session.text()
                         and composer_text(session).strip() == "x" * 40, "toggled on and off, the text as typed")
    finally:
        session.quit()
