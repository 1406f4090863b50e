"""Orders in the reference API over real HTTP: listing a chat's, looking one up by number, masking, limits."""

from __future__ import annotations

import asyncio
import json
import random

import httpx
import pytest

from backend.change_feed import ChangeNotifier
from backend.orders import ORDER_NUMBER, checked_order
from backend.simulated_orders import made_up_orders, newest_order_number
from backend.simulator import CustomerSimulator, load_scenarios
from backend.store import BackendStore
from tests.reference_backend import CHANNEL_TOKEN

SHIPPING = {"name": "王建国", "phone": "13812345678", "region": "北京市朝阳区", "address": "建国路88号3单元502"}


def channel_post(backend, path, body):
    return httpx.post(f"{backend.url}/api/v1/channel{path}", json=body, timeout=10,
                      headers={"Authorization": f"Bearer {CHANNEL_TOKEN}"})


def test_a_chats_orders_come_newest_first_with_the_recipient_masked(reference_backend, agent):
    chat_id = reference_backend.open_chat("王建国")
    reference_backend.add_order(chat_id, "1234567890123456789", status="delivered")
    newest = reference_backend.add_order(
        chat_id, "DD20261120553", status="shipped", carrier="顺丰速运", tracking_no="SF1402389671234",
        items=[{"name": "保温杯 500ml", "quantity": 2, "price": "89.00"}], amount="178.00", shipping=SHIPPING)
    assert newest["shipping"] == {"name": "王**", "phone": "138****5678", "region": "北京市朝阳区", "address": "****"}
    answer = agent.get(f"/chats/{chat_id}/orders")
    assert answer.status_code == 200
    orders = answer.json()["orders"]
    assert [order["order_no"] for order in orders] == ["DD20261120553", "1234567890123456789"]
    assert orders[0] == newest
    assert orders[0]["items"] == [{"name": "保温杯 500ml", "quantity": 2, "price": "89.00"}]
    assert (orders[0]["amount"], orders[0]["currency"], orders[0]["chat_id"]) == ("178.00", "CNY", chat_id)
    assert (orders[0]["carrier"], orders[0]["tracking_no"]) == ("顺丰速运", "SF1402389671234")
    assert "13812345678" not in answer.text and "建国路" not in answer.text


def test_one_order_by_number_and_404_for_an_unknown_one(reference_backend, agent):
    chat_id = reference_backend.open_chat("陈静")
    reference_backend.add_order(chat_id, "DD20261120553", shipping=SHIPPING)
    found = agent.get("/orders/DD20261120553")
    assert found.status_code == 200
    assert found.json()["order"]["shipping"]["phone"] == "138****5678"
    for unknown in ("DD20261120554", "dd20261120553", "x" * 500, "%E8%AE%A2%E5%8D%95", "DD2026%00"):
        missing = agent.get(f"/orders/{unknown}")
        assert missing.status_code == 404, unknown
        assert missing.json()["error"]["code"] == "no_such_order"
    assert agent.get("/chats/ch_missing/orders").json()["error"]["code"] == "no_such_chat"
    assert agent.get(f"/chats/{reference_backend.open_chat('林小雨')}/orders").json() == {"orders": []}


def test_the_reveal_endpoint_carries_the_recipient_in_clear(reference_backend, agent):
    chat_id = reference_backend.open_chat("王建国", phone="13812345678")
    reference_backend.add_order(chat_id, "DD20261120553", shipping=SHIPPING)
    revealed = agent.get(f"/chats/{chat_id}/customer").json()
    assert revealed["customer"]["phone"] == "13812345678"
    assert revealed["orders"][0]["shipping"] == SHIPPING


def test_orders_need_the_agent_token(reference_backend):
    chat_id = reference_backend.open_chat("陈静")
    reference_backend.add_order(chat_id, "DD20261120553")
    for path in (f"/chats/{chat_id}/orders", "/orders/DD20261120553"):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {CHANNEL_TOKEN}"}):
            response = httpx.get(f"{reference_backend.url}/api/v1{path}", headers=headers, timeout=10)
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("change, code", [
    ({"order_no": "DD2026112055"}, "invalid_order"),  # 10 digits
    ({"order_no": "DD202611205531234"}, "invalid_order"),  # 15 digits
    ({"order_no": "123456789012345"}, "invalid_order"),
    ({"order_no": "12345678901234567890"}, "invalid_order"),
    ({"order_no": "１２３４５６７８９０１２３４５６"}, "invalid_order"),  # full-width: not stored as a number
    ({"order_no": 1234567890123456}, "invalid_order"),
    ({"items": []}, "invalid_order"),
    ({"items": [{"name": "x", "price": "1.00"}] * 51}, "invalid_order"),
    ({"items": [{"name": "", "price": "1.00"}]}, "invalid_order"),
    ({"items": [{"name": "x", "price": 1}]}, "invalid_order"),
    ({"items": [{"name": "x", "price": "1.00", "quantity": True}]}, "invalid_order"),
    ({"items": [{"name": "x", "price": "1.00", "quantity": 0}]}, "invalid_order"),
    ({"items": ["x"]}, "invalid_order"),
    ({"amount": "1e9"}, "invalid_order"),
    ({"amount": "-1.00"}, "invalid_order"),
    ({"status": "s" * 33}, "invalid_order"),
    ({"shipping": "北京"}, "invalid_order"),
    ({"shipping": {"address": ["x"]}}, "invalid_order"),
    ({"shipping": {"address": "路" * 201}}, "invalid_order"),
    ({"items": [{"name": "x" * 200, "price": "1.00"}] * 45}, "order_too_large"),
])
def test_an_order_beyond_the_limits_is_refused_and_not_stored(reference_backend, agent, change, code):
    chat_id = reference_backend.open_chat("陈静")
    body = {"order_no": "DD20261120553", "items": [{"name": "杯子", "quantity": 1, "price": "89.00"}],
            "amount": "89.00", **change}
    refused = channel_post(reference_backend, f"/chats/{chat_id}/orders", body)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == code
    assert agent.get(f"/chats/{chat_id}/orders").json() == {"orders": []}


def test_an_order_number_is_taken_once_and_needs_a_chat(reference_backend):
    first = reference_backend.open_chat("陈静")
    reference_backend.add_order(first, "DD20261120553")
    body = {"order_no": "DD20261120553", "items": [{"name": "x", "price": "1.00"}], "amount": "1.00"}
    again = channel_post(reference_backend, f"/chats/{reference_backend.open_chat('王建国')}/orders", body)
    assert (again.status_code, again.json()["error"]["code"]) == (422, "order_exists")
    assert channel_post(reference_backend, "/chats/ch_missing/orders", body).status_code == 404


def test_made_up_orders_fit_the_api_and_the_shapes():
    for seed in range(200):
        rng = random.Random(seed)
        orders = made_up_orders(rng, "王建国", "13812345678", rng.choice(["zh", "en"]), 1795796895.0)
        assert 1 <= len(orders) <= 4
        assert [order["created_at"] for order in orders] == sorted((o["created_at"] for o in orders), reverse=True)
        for order in orders:
            assert ORDER_NUMBER.fullmatch(order["order_no"])
            assert checked_order(order) == {k: v for k, v in order.items() if k != "created_at"}
            assert bool(order["tracking_no"]) == (order["status"] != "paid") == bool(order["carrier"])


def test_every_simulated_customer_has_orders_and_quotes_its_newest(tmp_path):
    async def scenario():
        store = BackendStore(tmp_path / "backend.db")
        simulator = CustomerSimulator(store, ChangeNotifier(), load_scenarios(), chats=6, pace=0.0005, seed=7)
        task = asyncio.create_task(simulator.run())
        try:
            async with asyncio.timeout(20):
                while len(playing(store)) < 6 or not all(quoted(store, chat) for chat in playing(store)
                                                         if has_placeholder_in_first_turn(chat)):
                    await asyncio.sleep(0.01)
        finally:
            task.cancel()
        for chat in playing(store):
            orders = store.orders.of_chat(chat["id"])
            assert 1 <= len(orders) <= 4
            assert [o["id"] for o in chat["customer"]["orders"]] == [o["order_no"] for o in orders]
            assert "{order_no}" not in " ".join(m["text"] for m in store.messages_after(chat["id"], 0, 100))
        store.close()

    asyncio.run(scenario())


def playing(store) -> list[dict]:
    """The simulated customers' own chats (returning customers' earlier chats are written in closed)."""
    return [chat for chat in store.chats() if chat["state"] != "closed"]


def has_placeholder_in_first_turn(chat) -> bool:
    return chat["customer"]["name"] in ("王建国", "陈静")  # logistics and refund quote theirs in the first line


def quoted(store, chat) -> bool:
    newest = store.orders.of_chat(chat["id"])[0]["order_no"]
    return any(newest in m["text"] for m in store.messages_after(chat["id"], 0, 100))


ODD_VALUES = (None, True, 0, -1, 1.5, 2**70, "", "x" * 300, "١٢٣", [], [None], {}, {"name": []}, "\u202e\x1b[2J")


def test_any_field_of_any_type_is_a_4xx_never_a_500(reference_backend):
    chat_id = reference_backend.open_chat("陈静")
    rng = random.Random(17)
    valid = {"order_no": "DD20261120553", "items": [{"name": "杯子", "quantity": 1, "price": "89.00"}],
             "amount": "89.00", "status": "paid", "carrier": "", "tracking_no": "", "shipping": dict(SHIPPING)}
    with httpx.Client(base_url=f"{reference_backend.url}/api/v1/channel", timeout=10,
                      headers={"Authorization": f"Bearer {CHANNEL_TOKEN}"}) as channel:
        for attempt in range(300):
            body = json.loads(json.dumps(valid))
            body["order_no"] = f"DD{20261120553 + attempt}"
            targets = [body, body["shipping"], body["items"][0]]  # taken first: a change may replace the others
            for _ in range(rng.randint(1, 3)):
                target = rng.choice(targets)
                target[rng.choice(sorted(target))] = rng.choice(ODD_VALUES)
            response = channel.post(f"/chats/{chat_id}/orders", json=body)
            assert response.status_code in (201, 422), (body, response.text)


def test_made_up_numbers_are_never_ones_already_taken():
    first = made_up_orders(random.Random(5), "陈静", "13812345678", "zh", 1795796895.0)
    taken = {order["order_no"] for order in first}
    again = made_up_orders(random.Random(5), "陈静", "13812345678", "zh", 1795796895.0, taken=taken.__contains__)
    assert taken.isdisjoint(order["order_no"] for order in again)


def test_a_chat_from_before_orders_gets_them_when_its_customer_quotes_one(tmp_path):
    store = BackendStore(tmp_path / "backend.db")
    chat_id = store.open_chat("王建国", "wechat", profile={"phone": "13812345678"})["id"]
    number = newest_order_number(store, random.Random(1), chat_id)
    assert store.orders.get(number)["chat_id"] == chat_id
    assert store.orders.get(number)["shipping"]["phone"] == "13812345678"
    assert newest_order_number(store, random.Random(2), chat_id) == number, "made once"
    store.close()
