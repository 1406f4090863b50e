"""The search index finds what the plain scan finds through fuzzy pinyin, keystroke by keystroke, for every pair.

A fuzzy initial that is another letter (n/l, f/h, r/l) once lost entries: `ni` is a prefix of `niu`, 流's n/l
sound, but the lone `n` starts no reading of the library, and the index stopped looking for longer segments
there. One short library per pair, so that no other entry's readings hide such a gap.
"""

from __future__ import annotations

import pytest

from quick_replies import fuzzy_pinyin
from quick_replies.library import Library, QuickReply
from quick_replies.search import documents, search
from quick_replies.search_index import SearchIndex
from tests.unit.test_search_index import as_pairs, assert_same_as_scan, typed_prefixes

# (pair, the target's title, queries spelling it through the pair's other side)
CASES = [
    ("n/l", "物流", ["ni", "niu", "wuniu", "wuni"]),
    ("n/l", "流", ["ni", "niu"]),
    ("n/l", "流量", ["ni", "niu", "niuliang", "niul", "niul+liang"]),
    ("n/l", "退款流程", ["ni", "niu", "tuikuanniu", "tkniu", "niucheng"]),
    ("n/l", "你好", ["li", "lihao", "lih"]),
    ("f/h", "花费", ["fu", "fua", "fuafei", "hei", "huahei"]),
    ("f/h", "发货", ["ha", "hahuo", "fuo"]),
    ("r/l", "热门", ["le", "lemen"]),
    ("r/l", "路线", ["ru", "ruxian"]),
    ("z/zh", "张三", ["za", "zang", "zangsan"]),
    ("z/zh", "在线", ["zh", "zhai", "zhaixian"]),
    ("c/ch", "车辆", ["ce", "celiang"]),
    ("c/ch", "从来", ["ch", "chong", "chonglai"]),
    ("s/sh", "是否", ["si", "sifou"]),
    ("s/sh", "所有", ["sh", "shuo", "shuoyou"]),
    ("an/ang", "安全", ["ang", "angquan"]),
    ("an/ang", "长期", ["chan", "chanqi"]),
    ("en/eng", "门店", ["meng", "mengdian"]),
    ("en/eng", "等待", ["den", "dendai"]),
    ("in/ing", "银行", ["ying", "yinghang"]),
    ("in/ing", "请问", ["qin", "qinwen"]),
    ("ian/iang", "电话", ["diang", "dianghua"]),
    ("ian/iang", "想法", ["xian", "xianfa"]),
    ("uan/uang", "退款", ["kuang", "tuikuang"]),
    ("uan/uang", "黄色", ["huan", "huanse"]),
]


def short_library(title: str) -> list:
    """The target, an English entry and an unrelated Chinese one, so that the index has words and readings
    besides the target's."""
    library = Library(replies={
        "target": QuickReply("target", title, "", "f", "zh"),
        "english": QuickReply("english", "other order", "", "f", "zh"),
        "chinese": QuickReply("chinese", "订单", "我们已经寄出", "f", "zh"),
    })
    return documents(library)


@pytest.mark.parametrize(("pair", "title", "queries"), CASES, ids=[f"{pair}-{title}" for pair, title, _ in CASES])
def test_every_fuzzy_pair_finds_what_the_scan_finds_at_every_keystroke(pair, title, queries):
    assert pair in fuzzy_pinyin.enabled()
    docs = short_library(title)
    index = SearchIndex.build(docs)
    for query in typed_prefixes(queries):
        assert_same_as_scan(docs, index, query)
    for query in queries:  # the cases are worth having: the scan does find the target by its fuzzy sound
        assert "target" in [hit.doc.key for hit in search(docs, query, limit=20)], query


@pytest.mark.parametrize(("title", "query"), [("流", "n"), ("物流", "wun"), ("流量", "nl"), ("你好", "lh"),
                                             ("花费", "fa"), ("热门", "lm")])
def test_a_lone_fuzzy_initial_is_no_match_in_either(title, query):
    """The matcher reads no fuzzy sound from one letter (it would be mostly noise), nor does the index."""
    docs = short_library(title)
    index = SearchIndex.build(docs)
    assert "target" not in [hit.doc.key for hit in index.search(query, limit=20)]
    for typed in typed_prefixes([query]):
        assert_same_as_scan(docs, index, typed)


def test_a_pair_switched_off_finds_nothing_through_it_in_either():
    docs = short_library("物流")
    index = SearchIndex.build(docs)
    assert [hit.doc.title for hit in index.search("niu", limit=20)] == ["物流"]
    fuzzy_pinyin.configure(set(fuzzy_pinyin.PAIRS) - {"n/l", "r/l"})
    try:
        for query in typed_prefixes(["niu", "wuniu"]):
            assert_same_as_scan(docs, index, query)
        assert as_pairs(index.search("niu", limit=20)) == []
    finally:
        fuzzy_pinyin.configure(fuzzy_pinyin.PAIRS)
    assert [hit.doc.title for hit in index.search("niu", limit=20)] == ["物流"]
