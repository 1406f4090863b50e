"""The console on a Chatwoot account, driven like an agent (Pilot), against the fake Chatwoot: the chat and the
customer's message arrive, Chatwoot's canned responses are quick replies, a reply reaches Chatwoot once."""

from __future__ import annotations

from console.app import AgentConsoleApp
from local_cache.chatwoot_address import chatwoot_account
from local_cache.chatwoot_canned import refresh_canned_library
from local_cache.chatwoot_client import ChatwootClient
from quick_replies.library import STARTER_DIR
from tests.fake_chatwoot.control import FakeChatwoot
from tests.pilot_helpers import type_text, wait_until
from widgets.screens.prompts import PromptScreen


async def test_an_agent_answers_a_chatwoot_conversation_with_a_canned_response(tmp_path):
    with FakeChatwoot(validator="tests.fake_chatwoot.contract_check") as chatwoot:
        chatwoot.add_canned_response("ship", "Your parcel ships today.")
        conversation = chatwoot.add_conversation(chatwoot.add_contact("陈静", phone_number="+8613812345678"))
        chatwoot.customer_says(conversation, "快递到哪了？")
        account, canned = chatwoot_account(chatwoot.console_url), tmp_path / "chatwoot-canned"

        def open_client():
            return ChatwootClient(account, chatwoot.token, poll_interval=0.2)

        async def refresh_team_lists():
            client = open_client()
            try:
                await refresh_canned_library(client, canned)
                return await client.transfer_targets()
            finally:
                await client.aclose()

        app = AgentConsoleApp(tmp_path / "agent.sqlite3", open_client, long_poll_wait=2.0,
                              library_dirs=[STARTER_DIR, canned, tmp_path / "library"],
                              refresh_team_lists=refresh_team_lists)
        async with app.run_test(size=(140, 36)) as pilot:
            chat_id = str(conversation)
            await wait_until(pilot, lambda: app.desk.current_chat_id == chat_id, "the conversation open")
            await wait_until(pilot, lambda: any("快递到哪了" in line
                                                for line in app.desk.main_pane.transcript.plain_lines()),
                             "the customer's message")
            assert app.desk.chats[chat_id].customer_name == "陈静"
            await wait_until(pilot, lambda: app.replies.by_shortcut("ship") is not None, "the canned response",
                             timeout=20)
            app.desk.main_pane.composer.focus()
            await type_text(pilot, "/ship")  # "/" opens the quick replies; the canned response's shortcut
            await pilot.press("tab")  # expands into the composer
            assert app.desk.main_pane.composer.text == "Your parcel ships today."
            await pilot.press("enter")
            await wait_until(pilot, lambda: [m["content"] for m in chatwoot.messages(conversation)
                                             if m["message_type"] == 1] == ["Your parcel ships today."],
                             "the reply in Chatwoot")
            await wait_until(pilot, lambda: app.store.outbox.depth() == 0, "the outbox drained")
            shown = "\n".join(app.desk.main_pane.transcript.plain_lines())
            assert "13812345678" not in str(app.store.chats.customer_profile(chat_id)) + shown

            # Transfer (f3): Chatwoot's teams and agents are listed and completed as the agent types.
            assert app.desk.transfer_targets == ["billing", "technical", "Ada Agent", "Bo Billing", "Cy Admin"]
            await pilot.press("f3")
            await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), "the transfer prompt")
            assert "billing" in str(app.screen.query_one("Label:last-of-type").render())
            await type_text(pilot, "tech")
            await pilot.press("right")  # takes the completion
            await type_text(pilot, ": needs a refund check")
            await pilot.press("enter")
            await wait_until(pilot, lambda: chatwoot.conversation(conversation)["team_id"] == 2, "the transfer")
            notes = [m["content"] for m in chatwoot.messages(conversation) if m["private"]]
            assert notes == ["Transfer to technical: needs a refund check"]
        assert chatwoot.contract_violations() == []
