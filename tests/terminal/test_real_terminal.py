"""The installed console in a real pseudo-terminal against a real backend, checked by what an agent sees.

Pilot drives the app from inside its own event loop and waits for it to go idle between keys; a terminal does
neither. These tests start `agent-console` as `pip install` put it, in a pty of a fixed size, type in bursts
as a terminal delivers them, and read the screen back through a terminal emulator (tests/terminal_session.py).
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from tests.reference_backend import ReferenceBackend
from tests.terminal_session import TerminalSession, console

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="no pseudo-terminals on this platform")

LATIN = ["refnd", "refund", "order", "tracking", "ok", "thanks", "adress", "wait"]
CJK = ["您好", "退款", "请稍等", "马上为您查询", "快递", "已经", "补发", "谢谢您的耐心"]
PUNCTUATION = ["，", "。", "！", " ", ", "]


def random_burst(rng: random.Random, text: str) -> tuple[list[str], str]:
    """Keys of one burst (words, input-method phrase commits, backspaces) and the text after typing them."""
    keys = []
    for _ in range(rng.randint(2, 5)):
        choice = rng.random()
        if choice < 0.35:
            word = rng.choice(LATIN)
        elif choice < 0.75:
            word = rng.choice(CJK)  # an input method commits the whole phrase in one write
        else:
            word = rng.choice(PUNCTUATION)
        keys.append(word)
        text += word
        if text and rng.random() < 0.5:
            erase = rng.randint(1, min(len(text), 6))
            keys += ["backspace"] * erase
            text = text[:-erase]
    word = rng.choice(LATIN + CJK)  # never ends on a space: sending trims it
    keys.append(word)
    return keys, text + word


def composer_rows(session: TerminalSession) -> tuple[int, int]:
    """The first and last screen rows of the main composer's box (its rounded border)."""
    lines = session.lines()
    top = max(i for i, line in enumerate(lines) if "╭" in line)
    bottom = next(i for i in range(top, len(lines)) if "╰" in lines[i])
    return top, bottom


def test_bursts_of_typing_arrive_exactly(tmp_path, backend):
    chat_id = backend.open_chat("陈静", "web")
    backend.customer_says(chat_id, "我的快递到哪了？")
    session = console(tmp_path, backend)
    try:
        session.wait_for_text("● online")
        session.wait_for_text("我的快递到哪了")
        rng, expected, wrong = random.Random(11), [], []
        for message in range(18):  # 18 messages of 10 bursts each
            text = ""
            for burst in range(10):
                keys, text = random_burst(rng, text)
                session.send(*keys, *(["enter"] if burst == 9 else []))
                time.sleep(rng.choice([0, 0.002, 0.01]))  # bursts back to back, or a breath apart
            expected.append(text.strip())
            session.wait_for(lambda: len(backend.messages(chat_id)) >= message + 2, f"message {message + 1} sent")
        sent = [m["text"] for m in backend.messages(chat_id)][1:]
        wrong = [(want, got) for want, got in zip(expected, sent) if want != got]
        assert not wrong and len(sent) == len(expected), f"{len(wrong)} of 18 messages garbled: {wrong[:3]}"

        # f2 and the query in one burst: every key lands in the search box, in order.
        for query, keys in (("tuikuan", ["tuik", "backspace", "kuan"]), ("退款", ["退货", "backspace", "款"]),
                            ("refund", ["refnd", *["backspace"] * 2, "und"])):
            session.send("f2", *keys)
            session.wait_for(lambda: search_box(session) == query, f"the query {query!r} in the search box")
            session.send("escape")
            session.wait_for(lambda: search_box(session) is None, "the panel closed")

        # A Tab inside a burst moves to the next field before the next characters: 20 forms, saved by ctrl+s.
        for form in range(20):
            session.send(f"回复{form}", "ctrl+s", f"标题{form}", "tab", f"sc{form}", "tab", "tab", f"tag{form}，vip",
                         "ctrl+s")
            session.wait_for(lambda: f"sc{form}" in saved_shortcuts(tmp_path), f"reply {form} saved")
            session.send(*["backspace"] * 10)
        replies = saved_replies(tmp_path)
        for form in range(20):
            reply = replies[f"sc{form}"]
            assert reply["title"].endswith(f"标题{form}") and set(reply["tags"]) == {f"tag{form}", "vip"}, reply
    finally:
        session.quit()


def test_the_linter_rewrites_a_clause_and_refuses_a_privacy_request_in_a_real_terminal(tmp_path, backend):
    chat_id = backend.open_chat("周敏", "web")
    backend.customer_says(chat_id, "退款的事找谁？")
    session = console(tmp_path, backend)
    try:
        session.wait_for_text("退款的事找谁")
        session.send("亲，这个不归我们管")
        session.wait_for_text("→ 我来帮您联系负责的同事处理")  # the findings bar shows what ctrl+t will do
        session.send("ctrl+t")
        top, bottom = composer_rows(session)
        session.wait_for(lambda: any("亲，我来帮您联系负责的同事处理" in line
                                     for line in session.lines()[top:bottom + 1]), "the clause rewritten")
        session.send("。验证码收到了吗？发我一下", "enter")
        session.wait_for_text("Not sent")
        session.send("escape")
        time.sleep(0.5)
        assert [m["author"] for m in backend.messages(chat_id)] == ["customer"], "nothing was sent"
    finally:
        session.quit()


def search_box(session: TerminalSession) -> str | None:
    """The quick-reply panel's query as drawn (its input is the only field on screen with a tall cursor bar)."""
    for line in session.lines():
        if "▊" in line and "▎" in line and line.index("▊") < line.rindex("▎"):
            inside = line[line.index("▊") + 1:line.rindex("▎")].strip()
            if not inside or not set(inside) <= {"▔", "▁"}:  # not the field's top or bottom edge
                return inside
    return None


def saved_replies(tmp_path: Path) -> dict[str, dict]:
    replies = {}
    for path in (tmp_path / "data" / "library").glob("*.toml"):
        for entry in tomllib.loads(path.read_text(encoding="utf-8")).get("reply", []):
            replies[entry.get("shortcut", "")] = entry
    return replies


def saved_shortcuts(tmp_path: Path) -> set[str]:
    try:
        return set(saved_replies(tmp_path))
    except (OSError, tomllib.TOMLDecodeError):
        return set()  # caught mid-write: look again


def test_status_tells_the_truth_through_quiet_outage_and_recovery(tmp_path, backend):
    port = backend.url.rsplit(":", 1)[1]
    backend.stop()
    backend = ReferenceBackend(tmp_path / "backend.sqlite3", "--port", port).start()
    session = console(tmp_path, backend)
    try:
        session.wait_for_text("● online")
        quiet_until = time.monotonic() + 60
        while time.monotonic() < quiet_until:  # a healthy backend with nothing to say
            assert "● online" in session.text() and "offline" not in session.text(), session.text()
            time.sleep(0.25)

        backend.stop()  # SIGKILL: a real outage
        assert session.wait_for_text("○ offline", timeout=5) < 5
        backend.start()
        assert session.wait_for_text("● online", timeout=2 + 2) < 2 + 2  # +2: the backend process's own start

        os.kill(backend.process.pid, signal.SIGSTOP)  # frozen: connections accepted, nothing answered
        assert session.wait_for_text("○ offline", timeout=5) < 5
        os.kill(backend.process.pid, signal.SIGCONT)
        assert session.wait_for_text("● online", timeout=2) < 2
    finally:
        session.quit()
        if backend.process and backend.process.poll() is None:
            os.kill(backend.process.pid, signal.SIGCONT)
        backend.stop()  # this one, started on the fixed port, is not the fixture's


def test_no_alert_covers_the_composer_or_a_dialog(tmp_path, backend):
    mine = backend.open_chat("陈静", "web")
    backend.customer_says(mine, "在吗")
    session = console(tmp_path, backend)
    try:
        session.wait_for_text("在吗")
        session.send("正在输入的回复")
        session.wait_for_text("正在输入的回复")
        top, bottom = composer_rows(session)
        before = session.lines()[top:bottom + 1]
        others = [backend.open_chat(name, "web") for name in ("赵先生", "王建国", "Emily Carter")]
        for chat_id in others:
            backend.customer_says(chat_id, "你好，有人吗")
        session.wait_for_text("3 new messages")
        assert session.lines()[top:bottom + 1] == before, "the composer is untouched"
        alert_row = next(i for i, line in enumerate(session.lines()) if "3 new messages" in line)
        assert alert_row > bottom, "the alert is on the line above the footer, below the composer"

        session.send("f6")  # the tag dialog
        session.wait_for_text("Add tags")
        dialog = [line for line in session.lines() if "Add tags" in line or "refund, vip" in line]
        backend.customer_says(others[0], "还在吗？")
        session.wait_for_text("4 new messages")
        assert [line for line in session.lines() if "Add tags" in line or "refund, vip" in line] == dialog
        session.send("escape")
        session.wait_for(lambda: "正在输入的回复" in session.text() and "Add tags" not in session.text(), "closed")
    finally:
        session.quit()


def test_ctrl_q_returns_the_terminal_promptly_even_with_the_embedded_backend_frozen(tmp_path):
    session = TerminalSession(["--data-dir", str(tmp_path / "data"), "--simulate", "2"], cols=100, rows=30,
                              home=tmp_path / "home")
    backend_pid = None
    try:
        session.wait_for_text("● online", timeout=30)
        backend_pid = embedded_backend_pid(session.child.pid)
        os.kill(backend_pid, signal.SIGSTOP)
        session.send("还在处理", "enter")  # queued while the backend is frozen
        time.sleep(1)
        took = session.quit(timeout=15)
        assert took < 3, f"ctrl+q took {took:.1f} s"
    finally:
        session.close()
        if backend_pid is not None:
            for sig in (signal.SIGCONT, signal.SIGKILL):
                try:
                    os.kill(backend_pid, sig)
                except ProcessLookupError:
                    pass


def embedded_backend_pid(console_pid: int) -> int:
    """The console's child running the reference backend (Linux: /proc)."""
    children = Path(f"/proc/{console_pid}/task/{console_pid}/children")
    if not children.exists():
        pytest.skip("finding the embedded backend's process needs Linux's /proc")
    for pid in children.read_text().split():
        if "backend" in Path(f"/proc/{pid}/cmdline").read_text():
            return int(pid)
    raise AssertionError("the embedded backend is not a child of the console")


def test_the_highlight_in_the_chat_list_follows_every_switch(tmp_path, backend):
    """The list repaints only the rows that gain and lose the highlight; in a real terminal, after bursts of
    alt+down/alt+up that scroll the list both ways, exactly one row is highlighted and it is the open chat."""
    for number in range(16):  # more than the 13 rows a 30-line terminal shows: the list scrolls
        backend.customer_says(backend.open_chat(f"客户{number:02d}", "web"), f"hello {number}")
    session = console(tmp_path, backend)
    try:
        session.wait_for_text("客户12")
        rng, opened = random.Random(5), set()
        for burst in range(14):
            session.send(*[rng.choice(["alt+down", "alt+down", "alt+up"]) for _ in range(rng.randint(1, 6))])
            settled(session)
            header, highlighted = open_chat_name(session), highlighted_rows(session)
            assert len(highlighted) == 2 and highlighted[1] == highlighted[0] + 1, (burst, highlighted, session.text())
            assert header in session.lines()[highlighted[0]], (burst, header, session.text())
            opened.add(header)
        assert len(opened) >= 8, opened
    finally:
        session.quit()


def settled(session: TerminalSession, quiet: float = 0.4, timeout: float = 10) -> None:
    """Wait until neither the text nor the colours on screen change for `quiet` seconds."""
    look = lambda: session.cells(range(session.cols))  # noqa: E731
    deadline, last, since = time.monotonic() + timeout, look(), time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, "the screen never settled"
        time.sleep(0.05)
        now = look()
        if now != last:
            last, since = now, time.monotonic()


def list_width(session: TerminalSession) -> int:
    top_row = session.cells(range(session.cols))[0]
    return [character for character, _ in top_row].index("│")  # the list ends at the transcript's left border


def open_chat_name(session: TerminalSession) -> str:
    header = session.lines()[0].split("│", 1)[1]
    return header.split("·")[0].strip()


def highlighted_rows(session: TerminalSession) -> list[int]:
    """Rows of the chat list painted in a background other than the list's own."""
    width = list_width(session)
    cells = session.cells(range(width + 1))
    rows = [y for y, row in enumerate(cells) if row[width][0] == "│"]
    colours = {y: Counter(colour for _, colour in cells[y][1:width - 2]) for y in rows}  # not the scrollbar
    usual = sum(colours.values(), Counter()).most_common(1)[0][0]
    return [y for y in rows if colours[y].most_common(1)[0][0] != usual]


HOSTILE = "\x1b]52;c;cHduZWQ=\x07\x1b]0;pwned\x07\x1b[3J\u202e[red]x[/]"  # clipboard, title, scrollback, bidi, markup


def test_customer_text_never_reaches_the_terminal_as_control_sequences(tmp_path, backend):
    """What the installed console writes to a real terminal, byte for byte, while a customer's name and messages
    carry escape sequences: in the chat list, header, transcript, customer panel and the new-message alert."""
    opened = backend.open_chat("陈" + HOSTILE, "web")
    backend.customer_says(opened, "订单" + HOSTILE)
    session = console(tmp_path, backend, cols=160, rows=40)
    try:
        session.wait_for_text("订单␛]52;c;cHduZWQ=␇")
        other = backend.open_chat("王" + HOSTILE, "app")
        backend.customer_says(other, "在吗" + HOSTILE)
        session.wait_for_text("New message from 王␛]52")
        session.wait_for_text("[red]x[/]")  # markup shows as typed
    finally:
        session.quit()
    raw = bytes(session.raw)
    for sequence in (b"\x1b]52", b"cHduZWQ=\x07", b"\x1b]0;pwned", b"\x1b[3J", "\u202e".encode()):
        assert sequence not in raw, sequence
    assert "␛]52;c;cHduZWQ=␇".encode() in raw  # the customer's text is there, as visible stand-ins


def test_a_team_lead_browses_and_searches_the_team_library_in_a_real_terminal(tmp_path, backend):
    """The team's library from the config: an empty query browses its folder, fuzzy pinyin finds 破损, and the
    preview shows the reply as it would go to this customer."""
    team = tmp_path / "team"
    team.mkdir()
    (team / "team.toml").write_bytes((Path(__file__).parent.parent / "fixtures" / "team_library.toml").read_bytes())
    config = tmp_path / "config.toml"
    config.write_text(f"library = {json.dumps(str(team))}\n", encoding="utf-8")  # a JSON string is a TOML one
    chat_id = backend.open_chat("陈静", "web")
    backend.customer_says(chat_id, "东西坏了")
    session = TerminalSession(["--backend", backend.url, "--data-dir", str(tmp_path / "data")], cols=100, rows=30,
                              home=tmp_path / "home",
                              env={"AGENT_CONSOLE_TOKEN": backend.token, "AGENT_CONSOLE_CONFIG": str(config)})
    try:
        session.wait_for_text("● online")
        session.wait_for_text("东西坏了")
        session.send("f2")
        session.wait_for_text("Folders")
        session.wait_for_text("团队 Team")  # the team's folder, listed before anything is typed
        session.send("poshun")  # 破损 reads posun: s/sh, the commonest confusion
        session.wait_for_text("破损补发")
        session.send(*["backspace"] * 6, "tk")
        session.wait_for_text("陈静好，您的退款已审核通过")  # /tk is the team's now, previewed with the name filled
        session.send("escape")
        session.wait_for(lambda: search_box(session) is None, "the panel closed")
    finally:
        session.quit()
