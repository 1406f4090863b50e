"""The index with its pruning as shipped answers exactly as scoring every entry: same entries, same order.

The reference is quick_replies.search.search, which scores every entry with no index at all. Libraries of
3,000, 20,000 and 100,000 generated entries (Chinese, English, mixed, look-alike titles that tie on score),
queried keystroke by keystroke, with and without a usage history.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quick_replies.search import Usage, documents, search
from quick_replies.search_index import SearchIndex
from tests.search_library_generator import QUERIES, generated_library, typed


def ranked(hits):
    return [(hit.doc.key, hit.score, hit.highlights) for hit in hits]


def usage_history(docs, seed: int, count: int = 500) -> dict[str, Usage]:
    rng = random.Random(seed)
    return {doc.key: Usage(rng.randint(1, 40), 1_000_000.0 - rng.randint(0, 60) * 86400)
            for doc in rng.sample(docs, min(count, len(docs)))}


@pytest.fixture(scope="module")
def library_3k():
    docs = documents(generated_library(3_000, seed=13))
    return docs, SearchIndex.build(docs), usage_history(docs, seed=13)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(query=st.one_of(st.sampled_from([p for q in QUERIES for p in typed(q)]),
                       st.text("abcdefghiklmnorstuwyz退款物流状态 +", min_size=1, max_size=8)),
       with_usage=st.booleans(), limit=st.sampled_from([1, 5, 20, 40]))
def test_3000_entries_any_query(library_3k, query, with_usage, limit):
    docs, index, usage = library_3k
    options = {"usage": usage, "now": 1_000_000.0} if with_usage else {}
    assert ranked(index.search(query, limit=limit, **options)) == ranked(search(docs, query, limit=limit, **options))


@pytest.mark.parametrize("query", [prefix for query in ["Refund status", "tuikaun", "poshun", "adress", "退款 zt"]
                                   for prefix in typed(query)])
def test_3000_entries_every_keystroke_with_usage(library_3k, query):
    docs, index, usage = library_3k
    assert ranked(index.search(query, usage=usage, now=1_000_000.0)) == \
        ranked(search(docs, query, usage=usage, now=1_000_000.0)), query


@pytest.mark.parametrize("size, queries", [
    (20_000, ["Refund status", "refund", "tk", "poshun", "tuikaun", "adress", "退款状态", "r", "物流 kd"]),
    (100_000, ["Refund status", "tuikuan", "adress"]),
])
def test_large_libraries(size, queries):
    docs = documents(generated_library(size, seed=size))
    index = SearchIndex.build(docs)
    usage = usage_history(docs, seed=size)
    for query in queries:
        assert ranked(index.search(query, usage=usage, now=1_000_000.0)) == \
            ranked(search(docs, query, usage=usage, now=1_000_000.0)), query


def test_a_chain_across_spaces_and_punctuation_is_found_by_the_index_too():
    from quick_replies.library import Library, QuickReply

    titles = ["退 款说明", "申请退，款项", "还-款", "退款", "Tui 款", "推开窗", "huan款"]
    library = Library(replies={f"r{n}": QuickReply(f"r{n}", title, "正文", "f", "zh")
                               for n, title in enumerate(titles)})
    docs = documents(library)
    index = SearchIndex.build(docs)
    for query in ["tuikuan", "tk", "huankuan", "hk", "tuik", "退k", "tui款", "huank"]:
        expected = ranked(search(docs, query))
        assert expected, query
        assert ranked(index.search(query)) == expected, query
