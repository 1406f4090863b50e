"""Orders in the chat (alt+o): the customer's orders from the backend, one picked, and the quick replies'
{order.*} placeholders filled with it (Pilot, the real reference backend)."""

from __future__ import annotations

from console.app import AgentConsoleApp
from local_cache.reference_client import ReferenceApiClient
from tests.pilot_helpers import type_text, wait_until
from widgets.screens.prompts import ChoiceScreen


async def test_the_picked_order_fills_the_reply(tmp_path, reference_backend):
    chat_id = reference_backend.open_chat("陈静", "web")
    reference_backend.customer_says(chat_id, "快递到哪了？订单 DD20261120553")
    # The quoted order is the older one: the backend lists the newest first, the console the quoted one.
    reference_backend.add_order(chat_id, "DD20261120553", status="shipped", carrier="顺丰", tracking_no="SF1234567890")
    reference_backend.add_order(chat_id, "DD20261101001", status="delivered")
    app = AgentConsoleApp(tmp_path / "agent.sqlite3",
                          lambda: ReferenceApiClient(reference_backend.url, reference_backend.token))
    async with app.run_test(size=(140, 36)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == chat_id, "the chat")
        await pilot.press("alt+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), "the customer's orders")
        listed = str(app.screen.query("Label").last().render())
        assert "DD20261120553 · shipped" in listed and "DD20261101001 · delivered" in listed
        assert listed.splitlines()[0].startswith("1 = DD20261120553") and "(quoted)" in listed.splitlines()[0], \
            "the order the customer wrote comes first"
        key = next(line.split(" = ")[0] for line in listed.splitlines() if "DD20261120553" in line)
        await pilot.press(key)
        await wait_until(pilot, lambda: not app.screen.is_modal, "the order picked")
        assert app.desk.reply_actions.placeholder_values()["order.tracking"] == "SF1234567890"

        app.desk.main_pane.composer.focus()
        await type_text(pilot, "/wl")
        await pilot.press("tab")
        text = app.desk.main_pane.composer.text
        assert "DD20261120553" in text and "SF1234567890" in text and "{order." not in text
