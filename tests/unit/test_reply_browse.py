"""Browsing the library without typing, and the text a reply inserts: placeholders filled, empty gaps tidied."""

from __future__ import annotations

import re
import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quick_replies.library import LAYER_PERSONAL, LAYER_STARTER, LAYER_TEAM, STARTER_DIR, load_library
from quick_replies.library_browse import find_folder, folders, recently_used
from quick_replies.placeholders import PLACEHOLDER, fill
from quick_replies.reply_library import ReplyLibrary
from quick_replies.search import documents

# --- an empty fallback leaves no stray space or punctuation ----------------------------------------------

GAPS = [
    # the starter library's own lines
    ("为了尽快为您处理，需要您配合提供商品问题的照片和订单号 {order.id|}，收到后我马上为您办理。",
     "为了尽快为您处理，需要您配合提供商品问题的照片和订单号，收到后我马上为您办理。"),
    ("Thanks, {customer.name|}! Please give me a moment.", "Thanks! Please give me a moment."),
    ("I'm sorry for the trouble, {customer.name|}. I've submitted your refund.",
     "I'm sorry for the trouble. I've submitted your refund."),
    # a space before punctuation goes
    ("Hi {customer.name|}, this is Li.", "Hi, this is Li."),
    ("订单 {order.id|}。", "订单。"),
    ("订单 {order.id|}：已发货", "订单：已发货"),
    # between two spaces one stays
    ("Dear {customer.title|} customer", "Dear customer"),
    ("a {x.y|} {y.z|} b", "a b"),
    ("Hi {x.y|}{y.z|}, ok", "Hi, ok"),
    # at the start of a line: nothing to follow, so neither space nor comma stays
    ("{customer.name|}，您好", "您好"),
    ("{customer.name|} hello", "hello"),
    ("第一行\n{customer.name|}，您好", "第一行\n您好"),
    # at the end of a line or of the text: the clause ends where the words do
    ("Thanks, {customer.name|}", "Thanks"),
    ("Hi {customer.name|}\nsee you", "Hi\nsee you"),
    ("感谢您，{customer.name|}", "感谢您"),
    # an empty pair of brackets goes with its gap
    ("Order ({order.id|}) shipped", "Order shipped"),
    ("订单（{order.id|}）已发货", "订单已发货"),
    ("“{order.id|}”", ""),
    # no space or punctuation next to the gap: nothing to tidy
    ("尊敬的{customer.title|}客户", "尊敬的客户"),
    ("Hi{customer.name|}!", "Hi!"),
    ("{{literal}} {x.y|}!", "{literal}!"),
]


@pytest.mark.parametrize("template, expected", GAPS)
def test_an_empty_fallback_leaves_no_stray_space_or_punctuation(template, expected):
    assert fill(template, {}).text == expected


def test_values_and_other_placeholders_next_to_a_gap_are_never_cut():
    assert fill("{customer.name} {order.id|}!", {"customer.name": "Acme,"}).text == "Acme,!"
    assert fill("Hi {customer.name|there}, {order.id|}!", {}).text == "Hi there!"
    filled = fill("单号 {order.id} {order.tracking|}，稍后", {})
    assert filled.text == "单号 {order.id}，稍后"
    assert [(u.name, filled.text[u.start:u.end]) for u in filled.unfilled] == [("order.id", "{order.id}")]


def test_unfilled_positions_index_the_tidied_text():
    filled = fill("Hi {customer.name|}, 订单 {order.id} ({x.y|}) 运单 {order.tracking}。{{x}} {a.b|}!", {})
    assert filled.text == "Hi, 订单 {order.id} 运单 {order.tracking}。{x}!"
    assert [filled.text[u.start:u.end] for u in filled.unfilled] == ["{order.id}", "{order.tracking}"]


def test_no_starter_reply_leaves_a_gap_before_punctuation():
    for path in sorted(STARTER_DIR.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for entry in data.get("reply", []) + data.get("faq", []):
            text = fill(entry.get("body") or entry.get("answer"), {}).text
            assert not STRAY.search(text), (entry.get("id") or entry.get("question"), text)


STRAY = re.compile(r"[ \t\u3000][,.!?;:，。！？；：、)）]|  |,[.!?]|，[。！？]")
PUNCTUATION = ",.!?;:，。！？：、()（）“”"
PIECES = st.one_of(
    st.sampled_from(["Hi", "a", "订单号", "您好", "x1"]),
    st.sampled_from([" ", "  ", "\n"]),
    st.sampled_from(list(PUNCTUATION)),
    st.sampled_from(["{customer.name|}", "{order.id|}", "{customer.title|}"]),  # gaps
    st.sampled_from(["{customer.name}", "{customer.name|您}", "{order.tracking}", "{{", "}}"]),
)
VALUES = {"customer.name": "陈静"}


def with_gaps_as_words(template: str) -> str:
    """The template as if each gap were a word: what it says apart from the gaps."""
    return re.sub(r"\{[a-z]+(?:\.[a-z_]+)+\|\}", "w", template)


def bad_spots(text: str) -> int:
    return len(re.findall(r"(?=  |[ \t][,.!?;:，。！？；：、)）])", text))


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=14).map("".join))
def test_a_fill_introduces_no_double_space_and_no_space_before_punctuation(template):
    filled = fill(template, VALUES)
    assert bad_spots(filled.text) <= bad_spots(fill(with_gaps_as_words(template), VALUES).text)
    assert all(filled.text[u.start:u.end] == "{" + u.name + "}" for u in filled.unfilled)
    if "|}" not in template:  # without an empty fallback, filling is plain replacement, as it always was
        assert filled.text == PLACEHOLDER.sub(lambda m: plain(m, VALUES), template)


def plain(match: re.Match, values: dict[str, str]) -> str:
    if match.group(0) in ("{{", "}}"):
        return match.group(0)[0]
    return values.get(match.group(1)) or match.group(2) or match.group(0)


# --- browsing: recently used, then folders ------------------------------------------------------------------

def test_recently_used_lists_the_latest_use_first_and_only_entries_still_there():
    usage = {"old": (9, 100.0), "new": (1, 300.0), "gone": (5, 400.0), "mid": (2, 200.0), "never": (0, 500.0)}
    assert recently_used(usage, {"old", "new", "mid", "never"}) == ["new", "mid", "old"]
    many = {f"k{i}": (1, float(i)) for i in range(20)}
    assert recently_used(many, many) == [f"k{i}" for i in range(19, 11, -1)], "one screenful: eight"


@pytest.fixture
def layered(tmp_path):
    team, mine = tmp_path / "team", tmp_path / "mine"
    team.mkdir()
    mine.mkdir()
    (team / "after-sales.toml").write_text(
        'folder = "售后"\n'
        '[[reply]]\nid = "t1"\ntitle = "退货地址"\nbody = "请寄回：上海市……"\n'
        '[[reply]]\nid = "t2"\ntitle = "换货"\nbody = "换货请在订单页申请。"\n'
        '[[faq]]\nquestion = "多久退款？"\nanswer = "1-3 天"\ncategory = "售后"\n'
        '[[faq]]\nquestion = "发票怎么开？"\nanswer = "订单页申请"\ncategory = "发票"\n',
        encoding="utf-8")
    (mine / "mine.toml").write_text(
        'folder = "售后"\n[[reply]]\nid = "m1"\ntitle = "我的退货话术"\n'
        'body = "{customer.name|您}好，{order.id|}，请寄回。"\n',
        encoding="utf-8")
    return [STARTER_DIR, team, mine]


def test_folders_are_mine_then_the_teams_then_the_starters_each_in_library_order(layered):
    library = load_library(layered)
    docs = documents(library)
    titles = {doc.key: doc.title for doc in docs}
    listed = folders(docs)
    assert [(f.layer, f.name) for f in listed[:3]] == [(LAYER_PERSONAL, "售后"), (LAYER_TEAM, "发票"),
                                                      (LAYER_TEAM, "售后")]
    assert {f.layer for f in listed[3:]} == {LAYER_STARTER}
    team = find_folder(listed, listed[2].key)
    assert [titles[key] for key in team.keys] == ["退货地址", "换货", "多久退款？"], \
        "an FAQ entry is in its category; file order is kept"
    assert find_folder(listed, listed[0].key).keys == ("m1",), "the same name in another layer is another folder"
    starter_counts = sum(len(f.keys) for f in listed[3:])
    assert starter_counts == len(documents(load_library([STARTER_DIR])))


def test_the_panel_rows_for_an_empty_query_and_for_an_opened_folder(layered, tmp_path):
    replies = ReplyLibrary(layered, cache_dir=tmp_path / "cache")
    rows = replies.browse("", {"t2": (1, 200.0), "m1": (3, 100.0), "deleted": (1, 300.0)})
    assert [(r.section, r.key) for r in rows[:2]] == [("recent", "t2"), ("recent", "m1")]
    folder_rows = rows[2:]
    assert {r.kind for r in folder_rows} == {"folder"}
    assert [(r.title, r.count, r.layer) for r in folder_rows[:3]] == [
        ("售后", 1, LAYER_PERSONAL), ("发票", 1, LAYER_TEAM), ("售后", 3, LAYER_TEAM)]
    opened = replies.browse(folder_rows[2].key, {})
    assert [(r.kind, r.title) for r in opened] == [("reply", "退货地址"), ("reply", "换货"), ("faq", "多久退款？")]
    assert opened[0].key == "t1" and not any(r.section for r in opened)
    assert replies.preview("m1", {"customer.name": "陈静"}) == ("陈静好，请寄回。", [])
    text, unfilled = replies.preview("logistics-status-zh", {})
    assert [text[start:end] for start, end in unfilled] == ["{order.id}", "{order.tracking}"]
