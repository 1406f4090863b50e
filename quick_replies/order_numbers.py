"""Order numbers a customer quotes in a message, so the console can open that order.

The shapes (docs/api.md, "Order numbers"), found inside Chinese text without spaces around them:
- `DD` and 11-14 digits (DD20261120553): an order wherever it stands (`dd`, full-width ＤＤ and digits too).
- 16-19 digits after an order word: 订单, 订单号, 订单编号, 订单号码, order, order no., order number, order id,
  order #, or a bare `#`, with an optional 是 / 为 / is / colon before the number (订单号：…, my order 1234…).
  The word decides: a Luhn-valid run is an order here, since a tenth of all order numbers pass Luhn by chance.
- 16-19 digits with no label: an order only if it is not a bank card, i.e. fails the Luhn check (a card
  number pasted alone must not become an order link; a mistyped card read as an order only costs a lookup that
  finds nothing). Another label (运单号, 快递单号, 单号, 卡号, tracking, card, ...) makes it not an order.
Never an order: a resident ID number (18 characters with a valid GB 11643 check and a real birth date: one in
~8,000 random 18-digit numbers, so an ID after an order word is an ID), a mobile (1[3-9] and 9 digits: too short
for the digit-run shape), and any run glued to
ASCII letters or more digits (E2023112700012345, DD20261120553X, a 20-digit run) or grouped with spaces.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from quick_replies.pii import luhn_valid, valid_resident_id

# Same length in and out, so positions found in the normalised text hold for the original.
FULL_WIDTH = str.maketrans("０１２３４５６７８９ＤｄＸｘ＃", "0123456789DdXx#")
CANDIDATE = re.compile(r"(?<![0-9A-Za-z])(?<![0-9]\.)(?:([Dd][Dd][0-9]{11,14})|([0-9]{16,19}))(?![0-9A-Za-z])")
ORDER_WORD = re.compile(
    r"(?:订单(?:号码|编号|号)?|(?<![A-Za-z])order(?:\s*(?:no\.?|number|num|id|#))?|#)"
    r"\s*(?:是|为|(?<![A-Za-z])is\s|[:：=])?\s*$",
    re.IGNORECASE,
)
# A number another label introduces is that label's: a waybill, a card, a phone (运单号 1234567890123456789).
OTHER_LABEL = re.compile(
    r"(?:运单|快递单|物流单|(?<!订)单号|卡号|银行卡|(?<![A-Za-z])(?:tracking|waybill|card|phone))"
    r"(?:\s*(?:号码|编号|号|no\.?|number|num|#))?\s*(?:是|为|(?<![A-Za-z])is\s|[:：=])?\s*$",
    re.IGNORECASE,
)
WORD_REACH = 24  # characters before a number searched for its order word: the longest form fits


class OrderMention(NamedTuple):
    start: int
    end: int
    number: str  # ASCII digits, DD in capitals: the number to look the order up by


def find_order_numbers(text: str) -> list[OrderMention]:
    """Every order number in `text`, in order of position: (start, end, number)."""
    plain = text.translate(FULL_WIDTH)
    found = []
    for match in CANDIDATE.finditer(plain):
        if match.group(1):
            found.append(OrderMention(match.start(), match.end(), "DD" + match.group(1)[2:]))
            continue
        digits = match.group(2)
        if len(digits) == 18 and valid_resident_id(digits):
            continue
        before = plain[max(0, match.start() - WORD_REACH):match.start()]
        if not OTHER_LABEL.search(before) and (ORDER_WORD.search(before) or not luhn_valid(digits)):
            found.append(OrderMention(match.start(), match.end(), digits))
    return found
