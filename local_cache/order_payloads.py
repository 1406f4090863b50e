"""The reference API's orders (docs/api.md, "Order") as typed schemas checked when they arrive (the way
payloads.py checks chats and messages), and the plain Order the rest of the console reads."""

from __future__ import annotations

from typing import Annotated

import msgspec

from local_cache import models


class OrderItem(msgspec.Struct):
    name: str
    price: str
    quantity: Annotated[int, msgspec.Meta(ge=1)] = 1


class Shipping(msgspec.Struct, frozen=True):
    name: str = ""
    phone: str = ""
    region: str = ""
    address: str = ""


class Order(msgspec.Struct):
    order_no: Annotated[str, msgspec.Meta(min_length=1)]
    chat_id: str
    created_at: float
    items: list[OrderItem]
    amount: str
    status: str = ""
    currency: str = ""
    carrier: str = ""
    tracking_no: str = ""
    shipping: Shipping = Shipping()


class OrdersAnswer(msgspec.Struct):
    orders: list[Order]


class OrderAnswer(msgspec.Struct):
    order: Order


def remote_order(order: Order, revealed: bool) -> models.Order:
    return models.Order(
        order_no=order.order_no,
        chat_id=order.chat_id,
        status=order.status,
        items=tuple(models.OrderItem(item.name, item.quantity, item.price) for item in order.items),
        amount=order.amount,
        currency=order.currency,
        created_at=order.created_at,
        carrier=order.carrier,
        tracking_no=order.tracking_no,
        recipient_name=order.shipping.name,
        recipient_phone=order.shipping.phone,
        region=order.shipping.region,
        address=order.shipping.address,
        revealed=revealed,
    )
