"""An attachment's name, type and link are data: escapes, OSC 8 hyperlinks, Rich markup, bidi controls and 10,000
characters show as characters in the transcript and in the attachment dialog, and never reach the terminal as
controls (the checks of tests/app/test_hostile_text.py)."""

from __future__ import annotations

from console.app import AgentConsoleApp
from local_cache.models import Attachment, RemoteChat, RemoteMessage
from local_cache.reference_client import ReferenceApiClient
from local_cache.store import LocalStore
from tests.app.test_hostile_text import ATTACKS, MARKUP, control_problems, visible
from tests.pilot_helpers import wait_until
from tests.screen_capture import full_frame
from widgets.screens.attachment_dialog import AttachmentDialog

HOSTILE_NAME = f"N{MARKUP}{ATTACKS}" + "长" * 10_000
HOSTILE_TYPE = f"image/{MARKUP}\x1b[31m"
HOSTILE_URL = f"https://e.x/{MARKUP}\x1b]8;;http://evil.example\x07click\x1b]8;;\x07\u202egnp.exe"


async def test_hostile_attachment_fields_stay_characters(tmp_path, reference_backend, terminal_writes):
    store = LocalStore(tmp_path / "agent.sqlite3")
    chat = RemoteChat(id="ch_h", customer_name="陈静", customer_title="", vip=False, channel="web", state="opened",
                      priority="normal", created_at=1.0, updated_at=1.0)
    attachment = Attachment("at_h", HOSTILE_NAME, HOSTILE_TYPE, 12, HOSTILE_URL)
    store.chats.apply_changes([chat], [RemoteMessage(id="m_h", chat_id="ch_h", seq=1, author="customer", text="",
                                                     created_at=2.0, attachments=(attachment,))])
    store.close()
    app = AgentConsoleApp(tmp_path / "agent.sqlite3",
                          lambda: ReferenceApiClient(reference_backend.url, reference_backend.token),
                          image_protocol="")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == "ch_h", "the chat")
        await pilot.press("alt+a")
        await pilot.pause()
        frame = await full_frame(pilot)
        assert not control_problems(frame), "the transcript's attachment line"
        assert f"N{MARKUP}␛[2J" in visible(frame), "the name's markup and escapes shown as characters"

        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, AttachmentDialog), "the attachment dialog")
        await pilot.pause()
        frame = await full_frame(pilot)
        assert not control_problems(frame), "the dialog's name, type and full link"
        shown = visible(frame)
        assert "https://e.x/" + MARKUP + "␛]8;;http://evil.example␇click" in shown
        assert "<U+202E>gnp.exe" in shown, "the right-to-left override is a visible stand-in"
    assert not control_problems("".join(terminal_writes))
