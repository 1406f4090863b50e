"""Personal data found inside Chinese text, with checksums, and never in order numbers."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quick_replies.pii import find_pii, luhn_valid, mask_all, valid_resident_id
from tests.package_under_test import OUTSIDE_TREE, package_env


@pytest.mark.parametrize("number, valid", [
    ("11010519491231002X", True),  # X as the check character
    ("11010519491231002x", True),
    ("320582199003071523", True),
    ("110105194912310021", False),  # wrong check character
    ("110105194913310028", False),  # month 13
    ("110105209912310025", False),  # born in the future
    ("11010519491231002", False),  # 17 characters
])
def test_resident_id_checksum_and_birth_date(number, valid):
    assert valid_resident_id(number) is valid


@pytest.mark.parametrize("number, valid", [
    ("6222021234567890128", True),  # 19 digits
    ("6228480012345671", True),  # 16 digits
    ("4111111111111111", True),
    ("6222021234567890127", False),
    ("4111111111111112", False),
])
def test_luhn(number, valid):
    assert luhn_valid(number) is valid


def kinds(text):
    return [(pii.kind, text[pii.start:pii.end], pii.confident) for pii in find_pii(text)]


@pytest.mark.parametrize("text, expected", [
    ("卡号6222021234567890128已绑定", [("bank_card", "6222021234567890128", True)]),
    ("卡号6228480012345671", [("bank_card", "6228480012345671", True)]),
    ("卡号 6222 0212 3456 7890 128 请核对", [("bank_card", "6222 0212 3456 7890 128", True)]),
    ("卡号6222021234567890127", [("bank_card", "6222021234567890127", False)]),  # a typo is still a card
    ("身份证11010519491231002X", [("id_card", "11010519491231002X", True)]),
    ("手机13812345678谢谢", [("mobile", "13812345678", True)]),
    ("电话 +86 138-1234-5678", [("mobile", "+86 138-1234-5678", True)]),
    ("邮箱zhang.san@example.com谢谢", [("email", "zhang.san@example.com", True)]),
    ("全角６２２２０２１２３４５６７８９０１２８", [("bank_card", "６２２２０２１２３４５６７８９０１２８", True)]),
])
def test_personal_data_is_found_inside_chinese_text(text, expected):
    assert kinds(text) == expected


@pytest.mark.parametrize("text", [
    "订单号 2023112712345678",  # 16 digits after an order label
    "订单号：3612345678901234567",
    "您的运单号是 13812345678901",
    "order no. 6222021234567890128",
    "E20231127000123456",  # letters glued to the digits
    "SF1381234567800",
    "1381234567812345678901",  # 22 digits: none of these
    "金额 12345.67 元",
])
def test_order_numbers_and_other_numbers_do_not_fire(text):
    assert find_pii(text) == []


def test_masking_keeps_enough_to_recognise_and_no_more():
    assert mask_all("身份证11010519491231002X，手机13812345678") == "身份证110105********002X，手机138****5678"
    assert mask_all("卡号6222021234567890128") == "卡号622202*********0128"
    assert mask_all("写信到 zhang.san@example.com") == "写信到 z***@example.com"


@pytest.mark.parametrize("text, masked", [
    ("工单已建，身份证11010519491231002X", "工单已建，身份证110105********002X"),
    ("order from 13812345678", "order from 138****5678"),
    ("订单问题请拨13812345678", "订单问题请拨138****5678"),
    ("运单有问题，卡号6222021234567890128", "运单有问题，卡号622202*********0128"),
    ("border 13812345678", "border 138****5678"),  # a word that merely ends in a label is no label
])
def test_a_label_does_not_exempt_personal_data_that_is_not_its_value(text, masked):
    assert mask_all(text) == masked


@pytest.mark.parametrize("text", [
    "订单号：3612345678901234567",
    "运单号是 13812345678901",
    "tracking number: 6222021234567890128",
    "order #6222021234567890128",
    "工单编号 2023112712345678",
])
def test_a_label_exempts_its_own_value(text):
    assert find_pii(text) == []


def test_lint_refuses_a_phone_number_after_an_order_word(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "cli", "lint", "订单问题请拨13812345678", "--data-dir", str(tmp_path),
         "--config", str(tmp_path / "none.toml")],
        capture_output=True, text=True, cwd=OUTSIDE_TREE, env=package_env(), timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "138****5678" in result.stdout


# Property: whatever words stand between a label and a valid phone or ID number, the number is masked. The
# filler is any words other than a label's own "number is:" form (which makes the number the label's value), and
# does not end in an ASCII letter (letters glued to digits make an order code such as E2023…, by design).
LABELS = ["订单", "单号", "运单", "快递单", "物流单", "工单", "流水号", "order", "waybill", "tracking", "invoice"]
FILLER = st.text(alphabet=st.sampled_from(list("问题请拨打联系电话已建好的客户fromcallmeatplease，,。 ")),
                 min_size=1, max_size=12).filter(
    lambda filler: filler.strip(" ：:#=是为") != "" and not (filler[-1].isascii() and filler[-1].isalnum()))
ID_NUMBERS = ["11010519491231002X", "320582199003071523"]


def mobile_numbers():
    return st.builds(lambda second, rest: f"1{second}{rest:09d}", st.sampled_from("3456789"),
                     st.integers(0, 10**9 - 1))


@settings(max_examples=300, deadline=None)
@given(label=st.sampled_from(LABELS), filler=FILLER,
       number=st.one_of(mobile_numbers(), st.sampled_from(ID_NUMBERS)))
def test_a_valid_number_after_any_label_like_word_is_always_masked(label, filler, number):
    text = f"{label}{filler}{number}"
    assert number not in mask_all(text), text
    kinds_found = {pii.kind for pii in find_pii(text)}
    assert kinds_found & {"mobile", "id_card"}, text


def reference_resident_id(value: str) -> bool:
    """GB 11643 written out (the slow exact reference for python-stdnum's check character): weights, mod 11,
    1 0 X 9 8 7 6 5 4 3 2, and a real birth date from 1900 to today."""
    import datetime
    value = value.upper()
    if len(value) != 18 or not value[:17].isdigit():
        return False
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    if "10X98765432"[sum(int(d) * w for d, w in zip(value, weights)) % 11] != value[17]:
        return False
    try:
        born = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return datetime.date(1900, 1, 1) <= born <= datetime.date.today()


def reference_luhn(number: str) -> bool:
    digits = [int(d) for d in reversed(number)]
    return sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits)) % 10 == 0


@settings(max_examples=2000, deadline=None)
@given(st.integers(100000, 999999), st.dates(), st.integers(0, 999), st.sampled_from("0123456789X"))
def test_the_id_check_agrees_with_gb_11643_written_out_including_area_codes_stdnum_would_refuse(area, born, serial,
                                                                                                  check):
    number = f"{area}{born:%Y%m%d}{serial:03d}{check}"
    assert valid_resident_id(number) is reference_resident_id(number)


@settings(max_examples=2000, deadline=None)
@given(st.text("0123456789", min_size=16, max_size=19))
def test_the_card_check_agrees_with_luhn_written_out(number):
    assert luhn_valid(number) is reference_luhn(number)


@pytest.mark.parametrize("text, kind", [
    ("您填的身份证号是330106 19870106 4979吧", "id_card"),
    ("身份证350203-2004-0307-065X", "id_card"),
    ("储蓄卡 623668 1548871382113 上", "bank_card"),
    ("卡号６２２２０２１２３４５６７８９０１２８", "bank_card"),
])
def test_numbers_are_found_however_their_digits_are_grouped(text, kind):
    assert [found[0] for found in kinds(text)] == [kind]


def test_a_masked_address_is_not_an_address():
    assert kinds("Your account email j***n@gmail.com has been verified.") == []


@pytest.mark.parametrize("text, kind", [
    ("手机138.1234.5678", "mobile"), ("手机号138/1234/5678", "mobile"), ("身份证110105.19491231.002X", "id_card"),
    ("身份证号ID11010519491231002X", "id_card"), ("订单号11010519491231002X", "id_card"),
    ("zhang.san＠example.com", "email"),
])
def test_separators_letters_and_order_labels_do_not_hide_personal_data(text, kind):
    assert [found[0] for found in kinds(text)] == [kind]
