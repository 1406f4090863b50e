"""The command palette: found with the quick-reply panel's pinyin matcher, and the console's own entries listed
before Textual's (real backend on 127.0.0.1)."""

from __future__ import annotations

from textual.command import CommandList, CommandPalette

from console.command_palette import palette_match
from tests.app.test_app_quick_replies import make_app
from tests.pilot_helpers import type_text, wait_until

TEXTUALS_OWN = ("Theme", "Keys", "Maximize", "Minimize", "Screenshot")


def test_a_chat_is_found_by_full_pinyin_initials_and_characters():
    name = "Open chat 2: 陈静 (web)"
    for query in ("chen", "cj", "chenjing", "陈", "陈j", "open cj"):
        found = palette_match(query, name)
        assert found is not None, query
        assert name.index("陈") in found[1], query
    assert palette_match("zhao", name) is None
    assert palette_match("sar", "Save as reply") is not None, "word starts, as in the search panel"
    assert palette_match("zj", "转接") is not None, "the Chinese interface by pinyin too"


def palette_entries(app) -> list[str]:
    command_list = app.screen.query_one(CommandList)
    return [command_list.get_option_at_index(index).hit.text for index in range(command_list.option_count)]


async def test_the_palette_finds_chen_jing_by_pinyin(tmp_path, reference_backend):
    chen = reference_backend.open_chat("陈静", "web")
    other = reference_backend.open_chat("Emily Carter", "app")
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: {chen, other} <= set(app.desk.chats), "both chats")
        for query in ("chen", "cj"):
            await pilot.press("ctrl+p")
            assert isinstance(app.screen, CommandPalette)
            await type_text(pilot, query)
            await wait_until(pilot, lambda: any("陈静" in entry for entry in palette_entries(app)), f"陈静 by {query}")
            assert "陈静" in palette_entries(app)[0], "the best match first"
            await pilot.press("enter")
            assert app.desk.current_chat_id == chen
            app.desk.show_chat(other)


async def test_the_consoles_entries_come_before_textuals_own(tmp_path, reference_backend):
    chat_id = reference_backend.open_chat("陈静", "web")
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: chat_id in app.desk.chats, "the chat")
        for query in ("", "e"):  # every entry, then a letter in both kinds of names
            await pilot.press("ctrl+p")
            await type_text(pilot, query)
            await wait_until(pilot, lambda: "Screenshot" in palette_entries(app), f"the whole list for {query!r}")
            entries = palette_entries(app)
            textual = [index for index, entry in enumerate(entries) if entry in TEXTUALS_OWN]
            console = [index for index, entry in enumerate(entries) if entry not in TEXTUALS_OWN]
            assert textual and console and max(console) < min(textual), entries
            assert entries.count("Quit") <= 1, "Textual's Quit is the console's"
            await pilot.press("escape")


async def test_in_the_chinese_interface_a_chat_outranks_an_action_that_also_matches(tmp_path, reference_backend):
    # 最近提醒 ("Recent alerts") matches cj too: 最 has the rare reading cuo. A name typed is a chat looked for.
    from console.app import AgentConsoleApp
    from local_cache.reference_client import ReferenceApiClient
    from widgets.i18n import set_language

    chen = reference_backend.open_chat("陈静", "web")
    app = AgentConsoleApp(tmp_path / "agent.sqlite3",
                          lambda: ReferenceApiClient(reference_backend.url, reference_backend.token), language="zh")
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_until(pilot, lambda: chen in app.desk.chats, "the chat")
            await pilot.press("ctrl+p")
            await type_text(pilot, "cj")
            await wait_until(pilot, lambda: any("陈静" in entry for entry in palette_entries(app)), "陈静 by cj")
            entries = palette_entries(app)
            assert "陈静" in entries[0], entries
    finally:
        set_language("en")


async def test_every_chat_action_is_on_the_palette_and_runs_on_the_chat(tmp_path, reference_backend):
    # The palette is itself a dialog: a check that refused chat keys "while a dialog is open" once emptied it of
    # every chat action (only Help and Quit were left).
    chat_id = reference_backend.open_chat("陈静", "web")
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: chat_id in app.desk.chats, "the chat")
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: "Screenshot" in palette_entries(app), "the whole list")
        entries = palette_entries(app)
        for action in ("Transfer", "Tag", "Close", "Priority", "Escalate", "Reveal", "Replies", "Save as reply",
                       "Next chat", "Split", "Metrics", "Sign in again", "Help", "Quit", "Priority: urgent"):
            assert action in entries, (action, entries)
        assert "Resend" not in entries, "nothing was refused: the rejected-item actions are not offered"
        await type_text(pilot, "tag")
        await wait_until(pilot, lambda: palette_entries(app)[:1] == ["Tag"], "Tag first")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, CommandPalette) and app.screen.is_modal,
                         "the tag prompt")
        await type_text(pilot, "vip")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "vip" in app.desk.chats[chat_id].tags, "the tag on the chat", timeout=10)


async def test_over_a_dialog_the_palette_offers_only_what_is_the_apps(tmp_path, reference_backend):
    # A dialog belongs to a chat: the palette over the tag prompt once closed that chat, and over the reply panel
    # un-split the view so that the chosen reply went into a hidden composer.
    chat_id = reference_backend.open_chat("陈静", "web")
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: chat_id in app.desk.chats and app.desk.current_chat_id, "the chat")
        await pilot.press("f6")
        await wait_until(pilot, lambda: app.screen.is_modal, "the tag prompt")
        tag_prompt = app.screen
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: "Screenshot" in palette_entries(app), "the whole list")
        entries = palette_entries(app)
        assert {"Help", "Quit", "Sign in again"} <= set(entries)
        for desk_action in ("Close", "Tag", "Split", "Send", "Priority: urgent", "Next chat"):
            assert desk_action not in entries, (desk_action, entries)
        assert not any("陈静" in entry for entry in entries)
        await pilot.press("escape")
        assert app.screen is tag_prompt and app.store.outbox.items() == []


async def test_quit_from_the_palette_quits(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.desk is not None and app.desk.is_attached, "the desk")
        await pilot.press("ctrl+p")
        await type_text(pilot, "quit")
        await wait_until(pilot, lambda: palette_entries(app)[:1] == ["Quit"], "Quit first")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.return_code is not None, "the console quitting")


async def test_the_palette_shows_each_key_as_the_footer_does_remaps_included(tmp_path, reference_backend):
    from console.app import AgentConsoleApp
    from local_cache.reference_client import ReferenceApiClient

    app = AgentConsoleApp(tmp_path / "agent.sqlite3",
                          lambda: ReferenceApiClient(reference_backend.url, reference_backend.token),
                          keys={"tag_chat": "alt+t"})
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.desk is not None and app.desk.is_attached, "the desk")
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: "Screenshot" in palette_entries(app), "the whole list")
        command_list = app.screen.query_one(CommandList)
        helps = {command_list.get_option_at_index(i).hit.text: str(command_list.get_option_at_index(i).hit.help)
                 for i in range(command_list.option_count)}
        assert helps["Tag"] == "key: alt+t", "the agent's remap, not the default f6"
        assert helps["Next chat"] == "key: alt+↓", "as the footer writes it, not alt+down,ctrl+pagedown"
