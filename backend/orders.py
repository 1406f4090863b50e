"""Customers' orders (docs/api.md, "Order"): what the shop knows about each one, checked on the way in and
masked on the way out.

The reference server knows a customer only through their chat (the API has no customer ids), so an order
belongs to the chat its customer opened: GET /chats/{id}/orders is that customer's orders.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import TYPE_CHECKING

from backend.api_errors import ApiError

if TYPE_CHECKING:
    from backend.store import BackendStore

# The shapes real shops and our simulator give order numbers: DD and 11-14 digits (DD20261120553), or a long run
# of digits (Taobao's are 18-19). The recogniser in quick_replies/order_numbers.py finds the same shapes in text.
ORDER_NUMBER = re.compile(r"DD[0-9]{11,14}|[0-9]{16,19}")
PRICE = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,2})?")
MAX_ITEMS = 50
MAX_ORDER_BYTES = 8 * 1024
TEXT_CAPS = {"status": 32, "currency": 3, "carrier": 50, "tracking_no": 50}
SHIPPING_CAPS = {"name": 50, "phone": 32, "region": 100, "address": 200}
ITEM_NAME_CHARS = 200
MAX_QUANTITY = 9999
MAX_LISTED = 100  # orders in one answer (about 1 MiB at most): an agent reads the recent ones


def masked_shipping(shipping: dict) -> dict:
    """The recipient as any agent may see them: the region (province, city, district) stays, the rest does
    not leave the server in clear unless the agent reveals it: 王**, 138****5678, the street as ****."""
    name, phone, address = shipping.get("name", ""), shipping.get("phone", ""), shipping.get("address", "")
    digits = len(phone)
    return {
        "name": name[:1] + "*" * (len(name) - 1),
        "phone": phone[:3] + "*" * (digits - 7) + phone[-4:] if digits > 7 else "*" * digits,
        "region": shipping.get("region", ""),
        "address": "****" if address else "",  # a fixed mask: even the length of a street address says something
    }


def masked_order(order: dict) -> dict:
    return {**order, "shipping": masked_shipping(order["shipping"])}


def checked_order(body: dict) -> dict:
    """The order in `body` as stored, or 422 `invalid_order` naming the field (`order_too_large` over 8 KiB)."""
    if len(json.dumps(body, ensure_ascii=False).encode()) > MAX_ORDER_BYTES:
        raise ApiError(422, "order_too_large", f"an order is at most {MAX_ORDER_BYTES} bytes as UTF-8 JSON")
    order_no = body.get("order_no")
    if not isinstance(order_no, str) or not ORDER_NUMBER.fullmatch(order_no):
        raise invalid("order_no must be DD and 11-14 digits, or 16-19 digits")
    items = body.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise invalid(f"items must be a list of 1-{MAX_ITEMS} items")
    order = {"order_no": order_no, "items": [checked_item(item, index) for index, item in enumerate(items)]}
    order["amount"] = price(body.get("amount"), "amount")
    for key, cap in TEXT_CAPS.items():
        order[key] = text(body, key, cap, "", {"status": "paid", "currency": "CNY"}.get(key, ""))
    shipping = body.get("shipping", {})
    if not isinstance(shipping, dict):
        raise invalid("shipping must be an object")
    order["shipping"] = {key: text(shipping, key, cap, "shipping.") for key, cap in SHIPPING_CAPS.items()}
    return order


def checked_item(item, index: int) -> dict:
    where = f"items[{index}]."
    if not isinstance(item, dict):
        raise invalid(f"items[{index}] must be an object")
    quantity = item.get("quantity", 1)
    if type(quantity) is not int or not 1 <= quantity <= MAX_QUANTITY:
        raise invalid(f"{where}quantity must be an integer 1-{MAX_QUANTITY}")
    name = text(item, "name", ITEM_NAME_CHARS, where)
    if not name:
        raise invalid(f"{where}name is required")
    return {"name": name, "quantity": quantity, "price": price(item.get("price"), where + "price")}


def price(value, where: str) -> str:
    if not isinstance(value, str) or not PRICE.fullmatch(value):
        raise invalid(f"{where} must be a decimal string such as \"599.00\"")
    return value


def text(container: dict, key: str, cap: int, where: str, default: str = "") -> str:
    value = container.get(key, default)
    if not isinstance(value, str):
        raise invalid(f"{where}{key} must be a string")
    if len(value) > cap:
        raise invalid(f"{where}{key} is over {cap} characters")
    return value


def invalid(message: str) -> ApiError:
    return ApiError(422, "invalid_order", message)


class OrderBook:
    """The `orders` table of the backend store (created with the rest of its schema)."""

    def __init__(self, store: BackendStore):
        self.store = store

    def add(self, chat_id: str, order: dict, *, at: float | None = None) -> dict:
        """Store a checked order for the customer of `chat_id`; KeyError if its number is taken."""
        created_at = self.store.clock() if at is None else at
        with self.store.transaction():
            try:
                self.store.conn.execute(
                    "INSERT INTO orders (order_no, chat_id, status, items, amount, currency, carrier, tracking_no,"
                    " shipping, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (order["order_no"], chat_id, order["status"], json.dumps(order["items"], ensure_ascii=False),
                     order["amount"], order["currency"], order["carrier"], order["tracking_no"],
                     json.dumps(order["shipping"], ensure_ascii=False), created_at),
                )
            except sqlite3.IntegrityError:
                raise KeyError(order["order_no"]) from None
        return self.get(order["order_no"])

    def of_chat(self, chat_id: str) -> list[dict]:
        """The chat's customer's newest MAX_LISTED orders in clear, newest first."""
        rows = self.store.conn.execute("SELECT * FROM orders WHERE chat_id=? ORDER BY created_at DESC, order_no "
                                       "LIMIT ?", (chat_id, MAX_LISTED)).fetchall()
        return [order_json(row) for row in rows]

    def get(self, order_no: str) -> dict | None:
        row = self.store.conn.execute("SELECT * FROM orders WHERE order_no=?", (order_no,)).fetchone()
        return order_json(row) if row else None


def order_json(row: sqlite3.Row) -> dict:
    return {
        "order_no": row["order_no"],
        "chat_id": row["chat_id"],
        "status": row["status"],
        "items": json.loads(row["items"]),
        "amount": row["amount"],
        "currency": row["currency"],
        "carrier": row["carrier"],
        "tracking_no": row["tracking_no"],
        "shipping": json.loads(row["shipping"]),
        "created_at": row["created_at"],
    }
