"""The two key lines at the bottom keep every entry at 100 columns: the footer starts with f1 (which lists every
other key) and the chat actions' line closes up its gaps instead of dropping its last entries."""

from __future__ import annotations

import html

import pytest

from console.app import AgentConsoleApp
from console.key_bindings import KEY_LINE_BINDINGS
from local_cache.reference_client import ReferenceApiClient
from tests.pilot_helpers import wait_until
from widgets.i18n import tr
from widgets.key_hints import fitted_key_hints


def screen_text(app) -> str:
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


@pytest.mark.parametrize("width", [100, 160])
async def test_f1_help_and_every_chat_action_are_on_screen(tmp_path, reference_backend, width):
    reference_backend.open_chat("陈静")
    app = AgentConsoleApp(tmp_path / "agent.sqlite3",
                          lambda: ReferenceApiClient(reference_backend.url, reference_backend.token))
    async with app.run_test(size=(width, 30)) as pilot:
        await wait_until(pilot, lambda: app.desk.chats, "a chat")
        await pilot.pause()
        shown = screen_text(app)
        assert "f1" in shown and "Help" in shown
        for binding in KEY_LINE_BINDINGS:
            assert tr(binding.description) in shown, binding.description


def test_hints_close_up_before_anything_falls_off():
    hints = [("f3", "Transfer"), ("f6", "Tag"), ("f7", "Close")]
    assert fitted_key_hints(hints, 80).plain == "f3 Transfer   f6 Tag   f7 Close"
    assert fitted_key_hints(hints, 26).plain == "f3 Transfer f6 Tag f7 Close"
