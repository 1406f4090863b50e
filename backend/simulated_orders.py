"""Made-up orders for the simulator's customers: 1-4 each, in the shapes real shops use, so the console's order
features have something to show in the embedded default."""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Callable

from stdnum import luhn

from backend.orders import checked_order

if TYPE_CHECKING:
    from backend.store import BackendStore

# (name, price) pairs a small shop might sell
PRODUCTS = (("羽绒服 M", "599.00"), ("保温杯 500ml", "89.00"), ("Wireless earbuds", "299.00"), ("儿童书包", "159.00"),
            ("Running shoes 42", "459.00"), ("蓝牙音箱", "199.00"), ("Ceramic mug", "39.90"), ("数据线 1m", "19.90"))
STATUSES = ("paid", "shipped", "delivered", "refund_requested")
CARRIERS = (("顺丰速运", "SF", 12), ("中通快递", "78", 11), ("京东物流", "JDVA", 11), ("圆通速递", "YT", 13))
REGIONS = ("北京市朝阳区", "上海市浦东新区", "广东省深圳市南山区", "浙江省杭州市西湖区", "四川省成都市武侯区")
STREETS = ("建国路88号3单元502", "世纪大道100号15楼", "科技园南路6号2栋1201", "文三路259号", "人民南路四段27号")
DAY = 86400.0


def made_up_orders(rng: random.Random, customer: str, phone: str, language: str, now: float,
                   taken: Callable[[str], bool] = lambda order_no: False) -> list[dict]:
    """1-4 checked orders, newest first (the newest is the one the customer's script quotes: `{order_no}`), with
    numbers not `taken`. Chinese customers' newest order is a DD number, English customers' are 19 digits."""
    orders: list[dict] = []
    created_at = now - rng.uniform(0.5, 3) * DAY
    for index in range(rng.randint(1, 4)):
        long_number = language == "en" or (index > 0 and rng.random() < 0.4)
        order_no = ""
        while not order_no or taken(order_no) or any(order["order_no"] == order_no for order in orders):
            order_no = long_order_number(rng) if long_number else dd_order_number(rng, created_at)
        orders.append(made_up_order(rng, order_no, customer, phone, created_at, quoted=index == 0))
        created_at -= rng.uniform(2, 30) * DAY
    return orders


def dd_order_number(rng: random.Random, created_at: float) -> str:
    """DD, the date, and 3-6 more digits: DD20261120553 (11 digits) to DD20261120553123 (14)."""
    more = rng.randint(3, 6)
    return "DD" + time.strftime("%Y%m%d", time.gmtime(created_at)) + str(rng.randint(0, 10**more - 1)).zfill(more)


def long_order_number(rng: random.Random) -> str:
    """19 digits that fail the Luhn check: quoted without an order word, they must not read as a card number."""
    number = str(rng.randint(10**18, 10**19 - 1))
    while luhn.is_valid(number):
        number = number[:-1] + str((int(number[-1]) + 1) % 10)
    return number


def made_up_order(rng: random.Random, order_no: str, customer: str, phone: str, created_at: float,
                  quoted: bool) -> dict:
    items = [{"name": name, "quantity": rng.randint(1, 3), "price": price}
             for name, price in rng.sample(PRODUCTS, rng.randint(1, 3))]
    cents = sum(round(float(item["price"]) * 100) * item["quantity"] for item in items)
    # The order a customer writes about has gone out (that is why they write); the others may be anywhere.
    status = "shipped" if quoted else rng.choice(STATUSES)
    carrier, prefix, digits = rng.choice(CARRIERS)
    tracking = prefix + str(rng.randint(0, 10**digits - 1)).zfill(digits) if status != "paid" else ""
    order = checked_order({
        "order_no": order_no, "status": status, "items": items, "amount": f"{cents // 100}.{cents % 100:02d}",
        "currency": "CNY", "carrier": carrier if tracking else "", "tracking_no": tracking,
        "shipping": {"name": customer, "phone": phone, "region": rng.choice(REGIONS), "address": rng.choice(STREETS)},
    })
    return order | {"created_at": created_at}


def order_summaries(orders: list[dict]) -> list[dict]:
    """The profile's `orders` (what the customer panel lists): the same orders, one line each."""
    return [{"id": order["order_no"], "item": order["items"][0]["name"], "status": order["status"],
             "amount": "¥" + order["amount"]} for order in orders]


def newest_order_number(store: BackendStore, rng: random.Random, chat_id: str) -> str:
    """What `{order_no}` in a customer's line says. A chat opened before the simulator made orders gets its
    orders now, so its customer too quotes a number the agent can look up."""
    orders = store.orders.of_chat(chat_id)
    if not orders:
        chat, profile = store.chat(chat_id), store.customer_profile(chat_id) or {}
        orders = made_up_orders(rng, chat["customer"]["name"], str(profile.get("phone", "")), chat["language"],
                                store.clock(), taken=lambda order_no: store.orders.get(order_no) is not None)
        with store.transaction():
            for order in orders:
                store.orders.add(chat_id, order, at=order["created_at"])
    return orders[0]["order_no"]
