"""alt+a and Enter in a real terminal: the installed console opens the customer's photo through $BROWSER, a real
program that records the link it is given, exactly once; the terminal itself is never sent the link as a
hyperlink or an escape."""

from __future__ import annotations

import os
import stat
import sys

import pytest

from tests.reference_backend import ReferenceBackend
from tests.terminal_session import TerminalSession, composer_text

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="no pseudo-terminals on this platform")

ALT_A = "\x1ba"  # what a terminal sends for alt+a (ESC prefix)
URL = "https://cdn.example.com/photos/%E7%A0%B4%E6%8D%9F.jpg?sig=a1&exp=9"


def highlighted_row(session: TerminalSession, text: str) -> bool:
    with session._lock:
        for y in range(session.rows):
            row = session.screen.buffer[y]
            line = "".join(row[x].data for x in range(session.cols))
            if text in line:
                start = line.index(text)
                return all(row[x].reverse for x in range(start, start + 3))
    return False


def test_alt_a_then_enter_opens_the_photo_once(tmp_path):
    backend = ReferenceBackend(tmp_path / "backend.sqlite3").start()
    opened = tmp_path / "opened.txt"
    recorder = tmp_path / "recorder"
    recorder.write_text(f"#!{sys.executable}\nimport sys\n"
                        f"open({str(opened)!r}, 'a', encoding='utf-8').write(sys.argv[1] + '\\n')\n")
    recorder.chmod(recorder.stat().st_mode | stat.S_IXUSR)
    chat_id = backend.open_chat("陈静", "app")
    backend.customer_says(chat_id, "照片已经拍好了", [{"name": "破损.jpg", "type": "image/jpeg", "size": 48213,
                                                     "url": URL}])
    session = TerminalSession(["--backend", backend.url, "--data-dir", str(tmp_path / "data")], cols=140, rows=36,
                              home=tmp_path / "home",
                              env={"AGENT_CONSOLE_TOKEN": backend.token, "BROWSER": f"{recorder} %s"})
    try:
        session.wait_for_text("破损.jpg · image/jpeg · 47.1 KB")
        session.send(ALT_A)
        # The cursor is drawn (the line in reverse video): Enter then goes to the transcript, not the composer.
        session.wait_for(lambda: highlighted_row(session, "破损.jpg"), "the attachment line highlighted")
        session.send("\r")
        session.wait_for(lambda: opened.exists() and opened.read_text(encoding="utf-8").strip(), "the browser ran")
        session.wait_for_text("Opened 破损.jpg in the browser")
        assert opened.read_text(encoding="utf-8").splitlines() == [URL]
        assert [m["author"] for m in backend.messages(chat_id)] == ["customer"], "Enter sent nothing to the customer"
        assert b"\x1b]8;" not in bytes(session.raw), "no terminal hyperlink"
        session.send(ALT_A, "hello there")  # one burst: the key, then a reply typed at once
        session.wait_for(lambda: composer_text(session).strip() == "hello there", "every character in the reply")
    finally:
        session.quit()
        backend.stop()
