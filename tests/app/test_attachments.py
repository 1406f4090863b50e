"""Attachments in the transcript (Pilot, the real reference backend): shown inert under their message, alt+a to
the newest, ↑/↓ between them, Enter opens it through $BROWSER (a real recorder process), p previews it."""

from __future__ import annotations

import os
import stat
import sys
import webbrowser

import pytest

from console.app import AgentConsoleApp
from local_cache.reference_client import ReferenceApiClient
from tests.pilot_helpers import wait_until
from tests.reference_backend import ReferenceBackend
from widgets.composer import Composer
from widgets.screens.attachment_dialog import AttachmentDialog
from widgets.transcript import Transcript

PHOTO = {"name": "破损.jpg", "type": "image/jpeg", "size": 48213, "url": "https://cdn.example.com/u/1/%E7%A0%B4.jpg"}
SHOT = {"name": "screen.png", "type": "image/png", "size": 900, "url": "http://cdn.example.com/s.png?a=1&b=2"}


@pytest.fixture
def browser(tmp_path, monkeypatch):
    """$BROWSER pointed at a real program that appends the URL it is given to a file."""
    opened = tmp_path / "opened.txt"
    recorder = tmp_path / "recorder"
    recorder.write_text(f"#!{sys.executable}\nimport sys\n"
                        f"open({str(opened)!r}, 'a', encoding='utf-8').write(sys.argv[1] + '\\n')\n")
    recorder.chmod(recorder.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("BROWSER", f"{recorder} %s")
    monkeypatch.setattr(webbrowser, "_tryorder", None)  # $BROWSER is read once per process: read it again
    monkeypatch.setattr(webbrowser, "_browsers", {})
    return opened


def opened_urls(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def console(tmp_path, backend, **kwargs) -> AgentConsoleApp:
    return AgentConsoleApp(tmp_path / "agent.sqlite3", lambda: ReferenceApiClient(backend.url, backend.token),
                           **({"image_protocol": ""} | kwargs))


def cursor_line(transcript: Transcript) -> str:
    index = transcript._cursor_line[0] if transcript._cursor_line else None
    return "" if index is None else transcript.plain_lines()[index]


async def test_alt_a_moves_between_attachments_and_enter_opens_one_once(tmp_path, reference_backend, browser):
    chat_id = reference_backend.open_chat("陈静", "app")
    reference_backend.customer_says(chat_id, "照片已经拍好了", [PHOTO])
    reference_backend.customer_says(chat_id, "", [SHOT])  # a bare screenshot
    app = console(tmp_path, reference_backend)
    async with app.run_test(size=(140, 36), notifications=True) as pilot:
        await wait_until(pilot, lambda: len(app.desk.main_pane.transcript._entries) == 2, "both messages")
        transcript = app.desk.main_pane.transcript
        lines = transcript.plain_lines()
        assert "  照片已经拍好了" in lines, "the text, then its attachment line"
        assert lines[lines.index("  照片已经拍好了") + 1].startswith(
            "  ▣ Image 破损.jpg · image/jpeg · 47.1 KB · https://cdn.exampl"), "one line, cut to the width"
        assert any(line.startswith("  ▣ Image screen.png · image/png · 900 B · http://") for line in lines)

        await pilot.press("alt+a")
        await pilot.pause()
        assert app.focused is transcript
        assert "screen.png" in cursor_line(transcript), "the newest attachment first"
        await pilot.press("up")
        assert "破损.jpg" in cursor_line(transcript)
        await pilot.press("up")  # the oldest: stays
        assert "破损.jpg" in cursor_line(transcript)
        await pilot.press("down", "up", "enter")
        await wait_until(pilot, lambda: opened_urls(browser), "the browser started")
        await app.workers.wait_for_complete()
        assert opened_urls(browser) == [PHOTO["url"]], "the URL exactly as sent, exactly once"

        await pilot.press("escape")
        assert isinstance(app.focused, Composer) and transcript._cursor_line is None
        await pilot.press("escape")
        assert isinstance(app.focused, Composer), "Esc off an attachment is not the transcript's"


async def test_typing_on_an_attachment_goes_to_the_reply_and_nothing_is_lost(tmp_path, reference_backend):
    chat_id = reference_backend.open_chat("陈静", "app")
    reference_backend.customer_says(chat_id, "照片已经拍好了", [PHOTO])
    app = console(tmp_path, reference_backend)
    async with app.run_test(size=(140, 36)) as pilot:
        await wait_until(pilot, lambda: len(app.desk.main_pane.transcript._entries) == 1, "the message")
        await pilot.press("alt+a")
        await pilot.pause()
        assert app.focused is app.desk.main_pane.transcript
        await pilot.press(*"hello", "1")  # p and space preview; anything else is the reply's
        await wait_until(pilot, lambda: app.desk.main_pane.composer.text == "hello1", "every character, in order")
        assert isinstance(app.focused, Composer)


async def test_links_other_than_http_are_refused_with_the_reason(tmp_path, browser):
    """The reference API refuses such links; a Chatwoot or a hostile backend may still send them."""
    from local_cache.models import Attachment, RemoteChat, RemoteMessage
    from local_cache.store import LocalStore

    backend = ReferenceBackend(tmp_path / "b.sqlite3").start()
    try:
        store = LocalStore(tmp_path / "agent.sqlite3")
        chat = RemoteChat(id="ch_x", customer_name="陈静", customer_title="", vip=False, channel="web",
                          state="opened", priority="normal", created_at=1.0, updated_at=1.0)
        links = ["file:///etc/passwd", "javascript:alert(1)", "data:text/html,<b>x</b>"]
        messages = [RemoteMessage(id=f"m{n}", chat_id="ch_x", seq=n + 1, author="customer", text="看", created_at=2.0,
                                  attachments=(Attachment(f"a{n}", f"x{n}", "text/html", 1, url),))
                    for n, url in enumerate(links)]
        store.chats.apply_changes([chat], messages)
        store.close()
        app = console(tmp_path, backend)
        async with app.run_test(size=(140, 36), notifications=True) as pilot:
            await wait_until(pilot, lambda: app.desk.current_chat_id == "ch_x", "the chat")
            await pilot.press("alt+a")
            for expected in ("data:", "javascript:", "file:"):
                await pilot.press("enter")
                await pilot.pause()
                shown = list(app.alert_history)
                assert any(m.startswith(f"Not opened: {expected} links are not opened") for m in shown), shown
                await pilot.press("up")
            await app.workers.wait_for_complete()
        assert opened_urls(browser) == []
    finally:
        backend.stop()


async def test_preview_where_the_terminal_shows_no_images_is_the_link_and_enter_opens_it(
        tmp_path, reference_backend, browser):
    chat_id = reference_backend.open_chat("陈静", "app")
    reference_backend.customer_says(chat_id, "看图", [PHOTO])
    app = console(tmp_path, reference_backend)
    async with app.run_test(size=(140, 36)) as pilot:
        await wait_until(pilot, lambda: app.desk.main_pane.transcript._entries, "the message")
        await pilot.press("alt+a", "p")
        await wait_until(pilot, lambda: isinstance(app.screen, AttachmentDialog), "the attachment's details")
        texts = [str(label.render()) for label in app.screen.query("Label")]
        assert PHOTO["url"] in texts and "image/jpeg · 47.1 KB" in texts
        assert not app.screen.query("#attachment-image"), "nothing fetched, nothing drawn"
        await pilot.press("enter")
        await wait_until(pilot, lambda: opened_urls(browser), "the browser started")
        assert opened_urls(browser) == [PHOTO["url"]]


async def test_a_simulated_photo_is_fetched_and_shown_only_when_asked(tmp_path):
    scenarios = tmp_path / "photo.toml"
    scenarios.write_text('[[scenario]]\nkey="photo"\ncustomer="陈静"\nchannel="app"\nlanguage="zh"\n'
                         '[[scenario.turn]]\nsay=["照片已经拍好了"]\nattach=["damaged-parcel.jpg"]\n',
                         encoding="utf-8")
    backend = ReferenceBackend(tmp_path / "b.sqlite3", "--simulate", "1", "--sim-pace", "0.001",
                               "--scenarios", str(scenarios)).start()
    try:
        app = console(tmp_path, backend, image_protocol="halfcell")
        async with app.run_test(size=(140, 40)) as pilot:
            await wait_until(pilot, lambda: any(e.attachments for e in app.desk.main_pane.transcript._entries),
                             "the photo's message")
            await pilot.press("alt+a", "space")
            await wait_until(pilot, lambda: isinstance(app.screen, AttachmentDialog), "the preview")
            image = app.screen.query_one("#attachment-image")
            assert image.image.size == (480, 360), "the simulator's JPEG, fetched and decoded"
            await pilot.press("escape")
            assert not app.screen.is_modal
    finally:
        backend.stop()


async def test_a_hostile_file_previews_as_a_message(tmp_path, reference_backend):
    """A link whose server says image/* but sends something else: a clear note, not a crash."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Liar(BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"\x89PNG\r\n\x1a\n" + os.urandom(64)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Liar)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        chat_id = reference_backend.open_chat("陈静", "app")
        liar = f"http://127.0.0.1:{server.server_port}/x.png"
        reference_backend.customer_says(chat_id, "看图", [PHOTO | {"url": liar}])
        app = console(tmp_path, reference_backend, image_protocol="halfcell")
        async with app.run_test(size=(140, 36)) as pilot:
            await wait_until(pilot, lambda: app.desk.main_pane.transcript._entries, "the message")
            await pilot.press("alt+a", "p")
            await wait_until(pilot, lambda: isinstance(app.screen, AttachmentDialog), "the dialog")
            note = str(app.screen.query_one("#attachment-note").render())
            assert note.startswith("No preview: not an image that can be shown")
            assert not app.screen.query("#attachment-image")
    finally:
        server.shutdown()
