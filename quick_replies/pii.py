"""Personal data in chat text: resident ID numbers, bank cards, mainland mobile numbers, e-mail addresses.

Found inside Chinese text (卡号6222021234567890128: no spaces around it), with full-width digits read as digits.
A run of digits glued to ASCII letters or to more digits is not one of these (E2023112700012345 is an order
number), and neither is the number an order or waybill label introduces (订单号：…, 运单号是 …, order no. …).
A label exempts only its own value: a phone or ID number further along ("订单问题请拨138…") is still found.
- Resident ID: 17 digits and a check character (GB 11643, python-stdnum's `cn.ric`) with a real birth date;
  anything else is not an ID. Not `ric.is_valid`: it also refuses area codes that did not exist at the birth date
  (~3% of checksum-valid numbers), and for a guard against leaks that is a number let through.
- Bank card: 16-19 digits, optionally in groups split by spaces or dashes. One that fails the Luhn check
  (python-stdnum's `luhn`) is still reported, with low confidence: a mistyped card number is still a card number.
- Mobile: 1[3-9] and 9 more digits, optionally +86 and grouped 3-4-4.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from stdnum import luhn
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")
FULL_WIDTH = re.compile("[０-９]")
ANY_DIGIT = re.compile("[0-9０-９]")
# A label exempts only the number that is its value: the label, an optional "number" word, an optional "is" or
# colon, then the digits (订单号：123…, 运单号是 123…, order no. 123…). Anything else between them ("订单问题请拨",
# "order from") means the number is not the label's value, so it is checked like any other.
ORDER_LABEL = re.compile(
    r"(?:订单|单号|运单|快递单|物流单|工单|流水号|(?<![A-Za-z])(?:order|waybill|tracking|invoice))"
    r"(?:\s*(?:号码|编号|号|no\.?|number|num|id|#))?"
    r"\s*(?:是|为|[:：#=])?\s*$",
    re.IGNORECASE,
)
LABEL_REACH = 24  # characters before a number searched for its label: the longest label form fits

NOT_BEFORE = r"(?<![0-9A-Za-z])"
NOT_AFTER = r"(?![0-9A-Za-z])"
# Digits may come in groups split by single spaces, dashes, dots, slashes or underscores, however grouped:
# 330106 19870106 4979, 623668 1548871382113, 6222-0212-3456-7890-128, 138.1234.5678.
GAP = r"[ ._/-]?"
ID_NUMBER = re.compile(r"(?<![0-9])\d(?:" + GAP + r"\d){16}" + GAP + r"[\dXx]" + NOT_AFTER)  # letters before: ID11010…
CARD_NUMBER = re.compile(NOT_BEFORE + r"\d(?:" + GAP + r"\d){15,18}" + NOT_AFTER)
MOBILE_NUMBER = re.compile(NOT_BEFORE + r"(?:\+?86[ -]?)?1[3-9]\d(?:" + GAP + r"\d{4}){2}" + NOT_AFTER)
EMAIL = re.compile(r"(?<![A-Za-z0-9._%+*-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
                   r"(?![A-Za-z0-9-])")


@dataclass(frozen=True)
class PiiMatch:
    kind: str  # id_card | bank_card | mobile | email
    start: int
    end: int
    confident: bool  # False: a card number that fails the Luhn check
    masked: str  # what may be shown instead


def find_pii(text: str) -> list[PiiMatch]:
    found: list[PiiMatch] = []
    if ANY_DIGIT.search(text):
        find_numbers(text, found)
    if "@" in text or "＠" in text:
        for match in EMAIL.finditer(text.replace("＠", "@")):  # the same length: positions hold
            local, _, domain = match.group().partition("@")
            found.append(PiiMatch("email", match.start(), match.end(), True, f"{local[0]}***@{domain}"))
    return sorted(found, key=lambda pii: pii.start)


def find_numbers(text: str, found: list[PiiMatch]) -> None:
    # Full-width digits read as digits; the same length, so positions hold for the original text.
    digits = text.translate(FULL_WIDTH_DIGITS) if FULL_WIDTH.search(text) else text
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int, labelled_too: bool = False) -> bool:
        if any(start < e and s < end for s, e in taken):
            return False
        return labelled_too or not ORDER_LABEL.search(digits[max(0, start - LABEL_REACH):start])

    # An ID number is found even after an order label: one in ~8,000 random 18-digit numbers has a valid check
    # character and birth date, so 订单号11010519491231002X is an ID number with a label put in front of it.
    for match in ID_NUMBER.finditer(digits):
        value = re.sub(r"[ ._/-]", "", match.group())
        if valid_resident_id(value) and free(match.start(), match.end(), labelled_too=True):
            found.append(PiiMatch("id_card", match.start(), match.end(), True, mask_keep(match.group(), 6, 4)))
            taken.append(match.span())
    for match in CARD_NUMBER.finditer(digits):
        number = re.sub(r"[ ._/-]", "", match.group())
        if 16 <= len(number) <= 19 and free(match.start(), match.end()):
            found.append(PiiMatch("bank_card", match.start(), match.end(), luhn_valid(number),
                                  mask_keep(match.group(), 6, 4)))
            taken.append(match.span())
    for match in MOBILE_NUMBER.finditer(digits):
        if free(match.start(), match.end()):
            found.append(PiiMatch("mobile", match.start(), match.end(), True, mask_mobile(match.group())))
            taken.append(match.span())


def valid_resident_id(value: str) -> bool:
    value = value.upper()
    if len(value) != 18 or not value[:17].isdigit() or ric.calc_check_digit(value) != value[17]:
        return False
    try:
        born = ric.get_birth_date(value)
    except ValidationError:
        return False
    return datetime.date(1900, 1, 1) <= born <= datetime.date.today()


def luhn_valid(number: str) -> bool:
    return luhn.is_valid(number)


def mask_keep(value: str, head: int, tail: int) -> str:
    """Digits beyond the first `head` and last `tail` become *; separators stay."""
    positions = [i for i, ch in enumerate(value) if ch.isalnum()]
    hidden = set(positions[head:len(positions) - tail])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(value))


def mask_mobile(value: str) -> str:
    positions = [i for i, ch in enumerate(value) if ch.isdigit()]
    hidden = set(positions[-8:-4])  # 138****5678, whatever the prefix or grouping
    return "".join("*" if i in hidden else ch for i, ch in enumerate(value))


def mask_all(text: str) -> str:
    """`text` with every piece of personal data replaced by its masked form."""
    pieces, last = [], 0
    for pii in find_pii(text):
        if pii.start >= last:
            pieces += [text[last:pii.start], pii.masked]
            last = pii.end
    return "".join(pieces) + text[last:]
