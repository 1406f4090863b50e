"""ReferenceApiClient's orders against a real reference backend process (and a fault proxy in front of it)."""

from __future__ import annotations

import asyncio

import pytest

from local_cache.backend_client import AuthenticationRejected, BackendUnavailable, BadPayload, RequestRejected
from local_cache.models import Order, OrderItem
from local_cache.reference_client import ReferenceApiClient

SHIPPING = {"name": "王建国", "phone": "13812345678", "region": "北京市朝阳区", "address": "建国路88号3单元502"}


def ask(url: str, token: str, call):
    async def run():
        client = ReferenceApiClient(url, token, deadline=5.0)
        try:
            return await call(client)
        finally:
            await client.aclose()

    return asyncio.run(run())


def test_a_customers_orders_arrive_masked_newest_first(reference_backend):
    chat_id = reference_backend.open_chat("王建国")
    reference_backend.add_order(chat_id, "1234567890123456789", status="delivered")
    made = reference_backend.add_order(
        chat_id, "DD20261120553", status="shipped", carrier="顺丰速运", tracking_no="SF1402389671234",
        items=[{"name": "保温杯 500ml", "quantity": 2, "price": "89.00"}], amount="178.00", shipping=SHIPPING)
    orders = ask(reference_backend.url, reference_backend.token, lambda c: c.customer_orders(chat_id))
    assert [order.order_no for order in orders] == ["DD20261120553", "1234567890123456789"]
    assert orders[0] == Order(
        order_no="DD20261120553", chat_id=chat_id, status="shipped", items=(OrderItem("保温杯 500ml", 2, "89.00"),),
        amount="178.00", currency="CNY", created_at=made["created_at"], carrier="顺丰速运",
        tracking_no="SF1402389671234", recipient_name="王**", recipient_phone="138****5678", region="北京市朝阳区",
        address="****", revealed=False)


def test_revealed_orders_carry_the_recipient_in_clear(reference_backend):
    chat_id = reference_backend.open_chat("王建国")
    reference_backend.add_order(chat_id, "DD20261120553", shipping=SHIPPING)
    [order] = ask(reference_backend.url, reference_backend.token, lambda c: c.customer_orders(chat_id, revealed=True))
    assert (order.recipient_name, order.recipient_phone, order.address) == (
        "王建国", "13812345678", "建国路88号3单元502")
    assert order.revealed


def test_one_order_by_number_or_none(reference_backend):
    chat_id = reference_backend.open_chat("陈静")
    reference_backend.add_order(chat_id, "DD20261120553", shipping=SHIPPING)

    async def lookups(client):
        return [await client.order(number) for number in
                ("DD20261120553", "DD20261120554", "", "../chats", "DD2026/1120553", "订单 DD20261120553")]

    found, *unknown = ask(reference_backend.url, reference_backend.token, lookups)
    assert (found.order_no, found.chat_id, found.recipient_phone) == ("DD20261120553", chat_id, "138****5678")
    assert unknown == [None] * 5


def test_a_chat_without_orders_has_none_and_an_unknown_chat_is_refused(reference_backend):
    chat_id = reference_backend.open_chat("林小雨")
    assert ask(reference_backend.url, reference_backend.token, lambda c: c.customer_orders(chat_id)) == []
    with pytest.raises(RequestRejected):
        ask(reference_backend.url, reference_backend.token, lambda c: c.customer_orders("ch_missing"))


def test_a_wrong_token_is_authentication_rejected(reference_backend):
    with pytest.raises(AuthenticationRejected):
        ask(reference_backend.url, "wrong", lambda c: c.order("DD20261120553"))


ORDER_PATHS = lambda method, path: "/orders" in path  # noqa: E731  (both order endpoints)


@pytest.mark.parametrize("fault, error", [
    ("wrongtypes", BadPayload), ("garbage", BadPayload), ("truncated", BadPayload), ("503", BackendUnavailable),
])
def test_an_answer_that_does_not_fit_stops_at_the_client(reference_backend, fault_proxy, fault, error):
    chat_id = reference_backend.open_chat("王建国")
    reference_backend.add_order(chat_id, "DD20261120553", shipping=SHIPPING)
    for call in (lambda c: c.customer_orders(chat_id), lambda c: c.order("DD20261120553")):
        fault_proxy.plan(fault, matches=ORDER_PATHS)
        with pytest.raises(error) as raised:
            ask(fault_proxy.url, reference_backend.token, call)
        assert "13812345678" not in raised.value.detail
