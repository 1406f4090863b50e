"""The search index answers exactly as the plain scan over every entry, and its disk cache is safe to trust."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quick_replies import search_index_cache
from quick_replies.library import STARTER_DIR, FaqEntry, Library, QuickReply, load_library
from quick_replies.search import Usage, documents, search
from quick_replies.search_index import SearchIndex

ZH = "退款 物流 快递 发货 订单 地址 还款 重复 银行 登录 安卓 无法 延迟 签收 尺码 发票 优惠券 会员 长期 行李".split()
EN = "refund order delivery address return exchange invoice android login cancel shipping review policy".split()
GLUE = list("的了在是我您请")


def generated(count: int, seed: int) -> Library:
    rng = random.Random(seed)
    library = Library()
    for n in range(count):
        if n % 2:
            title = "".join(rng.choice(ZH) for _ in range(rng.randint(1, 4)))
            body = "".join(rng.choice(ZH) + rng.choice(GLUE) for _ in range(rng.randint(3, 12)))
        else:
            title = " ".join(rng.choice(EN) for _ in range(rng.randint(1, 3))).capitalize()
            body = " ".join(rng.choice(EN + ["VIP", "e-mail", "24h"]) for _ in range(rng.randint(3, 14))) + "."
        if n % 9 == 0:
            library.faqs.append(FaqEntry(f"{title}?{n}", body, (rng.choice(ZH + EN),), "faq"))
        else:
            library.replies[f"r{n}"] = QuickReply(f"r{n}", title, body, "folder", "zh", f"c{n}" if n % 5 == 0 else "",
                                                  (rng.choice(ZH + EN),))
    return library


def typed_prefixes(queries):
    return [query[: i + 1] for query in queries for i in range(len(query))]


QUERIES = ["退款", "物流延迟", "无法登录+安卓", "tuikuan", "tk", "退k", "huankuan", "hk", "chongfu", "cf", "yinhang",
           "changqi", "zhangqi", "xingli", "refnd", "adress", "cancel ordr", "rp", "refpol", "e-mail", "24h", "c10",
           "vip", "xyzzy", "wl kd", "fp+hy"]


def as_pairs(hits):
    return [(hit.doc.key, round(hit.score, 6), hit.highlights) for hit in hits]


def assert_same_as_scan(docs, index, query, **options):
    assert as_pairs(index.search(query, limit=20, **options)) == \
        as_pairs(search(docs, query, limit=20, **options)), query


@pytest.fixture(scope="module")
def generated_docs():
    docs = documents(generated(700, seed=3))
    return docs, SearchIndex.build(docs)


@pytest.mark.parametrize("query", typed_prefixes(QUERIES))
def test_every_keystroke_gives_the_scans_results(generated_docs, query):
    docs, index = generated_docs
    assert_same_as_scan(docs, index, query)


def test_usage_history_ranks_the_same_as_in_the_scan(generated_docs):
    docs, index = generated_docs
    used = {docs[n].key: Usage(count=n % 7 + 1, last_used=1000.0 - n) for n in range(0, 700, 13)}
    for query in ["退款", "refund", "tk", "r"]:
        assert_same_as_scan(docs, index, query, usage=used, now=2000.0)


def test_the_starter_library_gives_the_scans_results_with_the_default_limits():
    docs = documents(load_library([STARTER_DIR]))
    index = SearchIndex.build(docs)
    for query in typed_prefixes(QUERIES + ["dingdan", "kuaidi", "wait", "sorry", "qingshaodeng"]):
        assert as_pairs(index.search(query, limit=20)) == as_pairs(search(docs, query, limit=20)), query


words = st.sampled_from(ZH + EN + GLUE + [" ", "，", "VIP", "e-mail"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.tuples(st.lists(words, max_size=4), st.lists(words, max_size=12)), min_size=1,
                      max_size=25),
       query=st.one_of(st.sampled_from(QUERIES), st.text("abcdefghijklmnopqrstuvwxyz退款物流 +", max_size=8)))
def test_any_library_and_query_give_the_scans_results(texts, query):
    library = Library(replies={f"r{n}": QuickReply(f"r{n}", "".join(title) or "x", "".join(body), "f", "zh")
                               for n, (title, body) in enumerate(texts)})
    docs = documents(library)
    assert_same_as_scan(docs, SearchIndex.build(docs), query)


@pytest.mark.parametrize(("title", "body"), [("x", " 肉类"), (" 肉类", ""), ("x", "，你好"), ("x", "【退款】说明"),
                                           ("x", "， order")])
def test_a_field_opening_with_spaces_or_punctuation_gives_the_scans_results(title, body):
    """The chain is read from the field's first unit wherever it starts; the index once knew a first unit only
    at the very start, so a one-unit chain over it (ru for 肉) was lost."""
    library = Library(replies={"target": QuickReply("target", title, body, "f", "zh"),
                               "other": QuickReply("other", "订单", "我们已经寄出", "f", "zh")})
    docs = documents(library)
    index = SearchIndex.build(docs)
    for query in typed_prefixes(["rou", "ni", "tui", "order"]):
        assert_same_as_scan(docs, index, query)


def test_an_empty_library_finds_nothing():
    index = SearchIndex.build([])
    assert index.search("退款") == [] and index.search("tk") == []


def test_the_cache_is_used_when_the_library_is_unchanged(tmp_path, monkeypatch):
    docs = documents(generated(300, seed=5))
    first = search_index_cache.load_or_build(docs, tmp_path)
    assert (tmp_path / search_index_cache.FILE_NAME).exists()

    def no_build(_docs):
        raise AssertionError("rebuilt although the cache matches")

    monkeypatch.setattr(SearchIndex, "build", no_build)
    again = search_index_cache.load_or_build(documents(generated(300, seed=5)), tmp_path)
    assert as_pairs(again.search("tuikuan")) == as_pairs(first.search("tuikuan"))
    assert as_pairs(again.search("refnd")) == as_pairs(first.search("refnd"))


def test_a_changed_library_is_rebuilt_not_served_from_a_stale_cache(tmp_path):
    library = generated(100, seed=5)
    search_index_cache.load_or_build(documents(library), tmp_path)
    library.replies["new"] = QuickReply("new", "全新回复", "独一无二的正文", "folder", "zh", "brandnew")
    index = search_index_cache.load_or_build(documents(library), tmp_path)
    assert [hit.doc.key for hit in index.search("独一无二")] == ["new"]


@pytest.mark.parametrize("damage", [b"", b"not a zip file", b"PK\x03\x04 truncated"])
def test_a_damaged_cache_file_is_rebuilt(tmp_path, damage):
    docs = documents(generated(100, seed=5))
    (tmp_path / search_index_cache.FILE_NAME).write_bytes(damage)
    index = search_index_cache.load_or_build(docs, tmp_path)
    assert index.search("退款")
    with np.load(tmp_path / search_index_cache.FILE_NAME, allow_pickle=False) as stored:
        assert all(stored[name].dtype != object for name in stored.files), "plain arrays only, never pickles"


def test_an_unwritable_cache_directory_still_gives_an_index(tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the directory should be")
    index = search_index_cache.load_or_build(documents(generated(50, seed=5)), blocker)
    assert index.search("退款")
