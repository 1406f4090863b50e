"""Orders in the chat (alt+o): the customer's orders from the backend, one picked, and the quick replies'
{order.*} placeholders filled with it (Pilot, the real reference backend)."""

from __future__ import annotations

from console.app import AgentConsoleApp
from local_cache.reference_client import ReferenceApiClient
from tests.pilot_helpers import type_text, wait_until
from tests.screen_capture import ShownScreen
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


SHIPPING = {"name": "王小明", "phone": "13812345678", "region": "北京市朝阳区", "address": "望京街道 10 号楼 502"}


def panel_text(app) -> str:
    from rich.console import Console

    console = Console(width=32, color_system=None)
    with console.capture() as captured:
        console.print(app.desk.customer.panel.content)
    return captured.get()


async def pick_order(pilot, app, number: str) -> None:
    await pilot.press("alt+o")
    await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), "the customer's orders")
    listed = str(app.screen.query("Label").last().render())
    await pilot.press(next(line.split(" = ")[0] for line in listed.splitlines() if number in line))
    await wait_until(pilot, lambda: number in panel_text(app), "the order in the customer panel")


async def test_the_picked_order_is_in_the_panel_masked_and_f9_shows_its_recipient_in_clear(tmp_path,
                                                                                          reference_backend):
    chat_id = reference_backend.open_chat("王小明", "web")
    reference_backend.customer_says(chat_id, "订单 DD20261120553 地址写错了")
    reference_backend.add_order(chat_id, "DD20261120553", status="shipped", carrier="顺丰", tracking_no="SF1234567890",
                                shipping=SHIPPING, items=[{"name": f"商品{n}", "quantity": n, "price": "10.00"}
                                                          for n in range(1, 7)], amount="210.00")
    app = AgentConsoleApp(tmp_path / "agent.sqlite3",
                          lambda: ReferenceApiClient(reference_backend.url, reference_backend.token))
    async with app.run_test(size=(110, 40)) as pilot:  # narrow: the panel starts hidden
        await wait_until(pilot, lambda: app.desk.current_chat_id == chat_id, "the chat")
        assert not app.desk.customer.panel.display
        await pick_order(pilot, app, "DD20261120553")
        assert app.desk.customer.panel.display, "asking for an order opens the panel"
        text = panel_text(app)
        assert "shipped" in text and "210.00 CNY" in text and "顺丰 SF1234567890" in text
        assert "商品1 ×1" in text and "商品4 ×4" in text and "商品5" not in text and "and 2 more" in text
        assert "王** 138****5678" in text and "北京市朝阳区 ****" in text
        assert "13812345678" not in text and "望京" not in text and "not this customer" not in text
        assert "none on record" not in text, "the profile's empty order list does not contradict the order shown"

        await pilot.press("f9")
        await wait_until(pilot, lambda: "13812345678" in panel_text(app), "the recipient in clear")
        assert "王小明 13812345678" in panel_text(app) and "望京街道" in panel_text(app)
        assert [chat for chat, _ in app.store.audit.pii_reveals()] == [chat_id], "the reveal is logged, once"
        await pilot.press("f9")
        assert "138****5678" in panel_text(app) and "望京" not in panel_text(app), "f9 again masks it"
    for path in tmp_path.glob("agent.sqlite3*"):  # the clear recipient never reached the disk
        assert "13812345678".encode() not in path.read_bytes() and "望京".encode() not in path.read_bytes()


async def test_an_order_picked_under_a_reveal_comes_in_clear(tmp_path, reference_backend):
    chat_id = reference_backend.open_chat("王小明", "web")
    reference_backend.customer_says(chat_id, "DD20261120553 到哪了")
    reference_backend.add_order(chat_id, "DD20261120553", shipping=SHIPPING)
    app = AgentConsoleApp(tmp_path / "agent.sqlite3",
                          lambda: ReferenceApiClient(reference_backend.url, reference_backend.token))
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == chat_id, "the chat")
        await pilot.press("f9")
        await wait_until(pilot, lambda: app.desk.customer.clear_profile is not None, "the reveal")
        await pick_order(pilot, app, "DD20261120553")
        await wait_until(pilot, lambda: "13812345678" in panel_text(app), "the picked order in clear")


async def test_a_quoted_order_of_another_customer_is_flagged_and_never_shown_in_clear(tmp_path, reference_backend):
    owner = reference_backend.open_chat("李娜", "web")
    reference_backend.add_order(owner, "DD20261120999", shipping=SHIPPING)
    chat_id = reference_backend.open_chat("张伟", "web")
    reference_backend.customer_says(chat_id, "帮我看看订单 DD20261120999")
    app = AgentConsoleApp(tmp_path / "agent.sqlite3",
                          lambda: ReferenceApiClient(reference_backend.url, reference_backend.token))
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: chat_id in app.desk.chats, "the chat")
        app.desk.show_chat(chat_id)
        await pick_order(pilot, app, "DD20261120999")
        assert "⚠ not this customer's" in panel_text(app)
        await pilot.press("f9")
        await wait_until(pilot, lambda: app.desk.customer.clear_profile is not None, "the reveal")
        await pilot.pause(0.3)
        assert "138****5678" in panel_text(app) and "13812345678" not in panel_text(app)


async def test_order_numbers_the_customer_wrote_are_marked_in_the_transcript(tmp_path, reference_backend,
                                                                           terminal_writes):
    chat_id = reference_backend.open_chat("陈静", "web")
    reference_backend.customer_says(chat_id, "订单 DD20261120553 和卡 4111111111111111")
    app = AgentConsoleApp(tmp_path / "agent.sqlite3",
                          lambda: ReferenceApiClient(reference_backend.url, reference_backend.token))
    async with app.run_test(size=(140, 30)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == chat_id, "the chat")
        shown = await ShownScreen.of(pilot)
        region = app.desk.main_pane.transcript.region
        row, start = next((y, x) for y in range(region.y, region.bottom) for x in range(region.x, region.right)
                          if shown.text(y, x, x + 13) == "DD20261120553")
        line = shown.screen.buffer[row]
        assert all(line[x].underscore for x in range(start, start + 13)), "the order number is marked"
        assert not line[start - 1].underscore and not line[start + 13].underscore, "only the number"
        card = next(x for x in range(start, region.right) if shown.text(row, x, x + 6) == "411111")
        assert shown.text(row, card, card + 16) == "411111******1111", "the card number is masked"
        assert not any(line[x].underscore for x in range(card, card + 16)), "and not marked as an order"


async def test_at_80_columns_the_picked_order_leaves_the_transcript_its_room(tmp_path, reference_backend):
    chat_id = reference_backend.open_chat("王小明", "web")
    reference_backend.customer_says(chat_id, "DD20261120553 到哪了")
    reference_backend.add_order(chat_id, "DD20261120553", shipping=SHIPPING)
    app = AgentConsoleApp(tmp_path / "agent.sqlite3",
                          lambda: ReferenceApiClient(reference_backend.url, reference_backend.token))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id == chat_id, "the chat")
        await pilot.press("alt+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), "the customer's orders")
        await pilot.press("1")
        await wait_until(pilot, lambda: app.desk.order_actions.chosen.get(chat_id) is not None, "the order picked")
        assert not app.desk.customer.panel.display, "the panel would leave the transcript a sliver"
        assert any("shows the order in the customer panel" in text for text in app.alert_history)
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: "DD20261120553" in panel_text(app), "the order, when asked for")
