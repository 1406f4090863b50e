"""find_order_numbers: the order numbers a customer quotes, and the other numbers it must leave alone."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.cn import ric

from backend.orders import ORDER_NUMBER
from quick_replies.order_numbers import find_order_numbers
from quick_replies.pii import valid_resident_id

CARD = "6222021234567890128"  # Luhn-valid
NOT_CARD = "6222021234567890127"
ID_NUMBER = "110105198001011238"  # a valid GB 11643 check digit and birth date


def numbers(text):
    return [number for _, _, number in find_order_numbers(text)]


@pytest.mark.parametrize("text, expected", [
    ("订单 DD20261120553 还没发货", ["DD20261120553"]),
    ("my order 1234567890123456 hasn't arrived", ["1234567890123456"]),
    ("我的快递五天了还没到，订单号 DD20261120553", ["DD20261120553"]),
    ("DD20261120553123收到了吗", ["DD20261120553123"]),  # 14 digits, glued to Chinese
    ("订单号：DD20261120553，还有DD20261120554", ["DD20261120553", "DD20261120554"]),
    ("dd20261120553", ["DD20261120553"]),
    ("订单ＤＤ２０２６１１２０５５３", ["DD20261120553"]),  # full-width
    (f"订单号是{CARD}", [CARD]),  # an order word makes even a Luhn-valid run an order
    (f"订单编号为 {CARD}", [CARD]),
    (f"Order No. {CARD}", [CARD]),
    (f"order number: {CARD}", [CARD]),
    (f"order #{CARD}", [CARD]),
    (f"#{CARD}", [CARD]),
    (f"order is {CARD}", [CARD]),
    (NOT_CARD, [NOT_CARD]),  # alone: an order when it is no card
    (f"麻烦查一下 {NOT_CARD} 这个", [NOT_CARD]),
    (CARD, []),  # alone and Luhn-valid: a card
    (f"卡号{CARD}", []),
    (f"card #{NOT_CARD}", []),
    (f"运单号 {NOT_CARD}", []),
    (f"快递单号：{NOT_CARD}", []),
    (f"tracking no. {NOT_CARD}", []),
    (f"订单号{ID_NUMBER}", []),  # an ID number stays an ID number
    (ID_NUMBER, []),
    ("订单号 13812345678", []),  # a mobile
    ("电话13812345678", []),
    ("订单 12345", []),
    ("DD2026112055", []),  # 10 digits
    ("DD202611205531234", []),  # 15
    ("ADD20261120553", []),
    ("DD20261120553X", []),
    ("E2023112700012345678", []),
    ("订单 12345678901234567890", []),  # 20 digits
    ("订单 1234 5678 9012 3456", []),  # grouped: how cards are written
    ("¥0.1234567890123456789", []),
    ("", []),
])
def test_shapes(text, expected):
    assert numbers(text) == expected


def test_spans_point_at_the_number_in_the_original_text():
    text = "您好，订单ＤＤ２０２６１１２０５５３和 order 1234567890123456 都没到"
    mentions = find_order_numbers(text)
    assert [text[start:end] for start, end, _ in mentions] == ["ＤＤ２０２６１１２０５５３", "1234567890123456"]
    assert mentions[0].number == "DD20261120553"


def test_the_simulators_quoted_lines_are_recognised():
    from backend.simulated_orders import long_order_number

    rng = random.Random(3)
    for _ in range(200):
        number = long_order_number(rng)
        assert numbers(f"Also, my order {number} hasn't arrived yet.") == [number]
        assert numbers(number) == [number], "the simulator's long numbers fail Luhn: recognised alone too"


cjk = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=10)
digits = lambda n: st.text("0123456789", min_size=n, max_size=n)  # noqa: E731


@given(before=cjk, after=cjk, body=st.integers(11, 14).flatmap(digits))
def test_a_dd_number_inside_chinese_is_found_exactly(before, after, body):
    text = before + "DD" + body + after
    assert find_order_numbers(text) == [(len(before), len(before) + 2 + len(body), "DD" + body)]


@given(length=st.integers(15, 18), seed=st.integers(0, 2**32),
       word=st.sampled_from(["订单", "订单号：", "order ", "#"]), before=cjk)
def test_luhn_valid_runs_are_cards_alone_and_orders_after_an_order_word(length, seed, word, before):
    body = str(random.Random(seed).randrange(10**(length - 1), 10**length))
    card = body + luhn.calc_check_digit(body)
    if valid_resident_id(card):
        return
    assert numbers(before + " " + card) == []
    assert numbers(before + word + card) == [card]


@given(seed=st.integers(0, 2**32), word=st.sampled_from(["", "订单号", "order no. ", "#"]))
def test_id_numbers_and_mobiles_are_never_orders(seed, word):
    rng = random.Random(seed)
    body = f"{rng.randint(110000, 659000)}{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" \
           f"{rng.randint(0, 999):03d}"
    id_number = body + ric.calc_check_digit(body + "0")
    mobile = f"1{rng.choice('3456789')}{rng.randint(0, 10**9 - 1):09d}"
    assert numbers(word + id_number) == []
    assert numbers(f"{word}{mobile}") == []


@settings(max_examples=300)
@given(text=st.text(max_size=200))
def test_any_text_gives_well_formed_mentions(text):
    mentions = find_order_numbers(text)
    assert mentions == sorted(mentions)
    for (start, end, number), following in zip(mentions, mentions[1:] + [None]):
        assert 0 <= start < end <= len(text)
        assert following is None or end <= following.start
        assert ORDER_NUMBER.fullmatch(number), "a number the backend can look up"
        assert len(number) == end - start


@given(pieces=st.lists(st.sampled_from(["订单", "order", "#", "DD", "1", "0", "９", " ", "：", "号", "X", "."]),
                       max_size=80))
def test_hostile_mixtures_of_the_pieces_never_break_it(pieces):
    text = "".join(pieces)
    for start, end, number in find_order_numbers(text):
        assert ORDER_NUMBER.fullmatch(number)


def test_long_hostile_input_is_read_in_one_pass():
    for text in ("9" * 1_000_000, "订单" * 200_000 + "1" * 19, ("DD" + "1" * 11 + "，") * 50_000, "#" * 500_000):
        find_order_numbers(text)  # completes: no backtracking blow-up (the suite would stall here otherwise)
    assert len(find_order_numbers(("DD" + "1" * 11 + "，") * 50_000)) == 50_000


def test_the_id_number_used_here_is_one():
    assert valid_resident_id(ID_NUMBER) and ID_NUMBER.isdigit()
