"""What a query finds and in which order: Chinese, pinyin, initials, polyphones, typos, AND terms, ranking."""

from __future__ import annotations

import pytest

from quick_replies.library import FaqEntry, Library, QuickReply
from quick_replies.matcher import match_term, prepare
from quick_replies.search import Usage, documents, search


def reply(reply_id, title, body, shortcut="", tags=()):
    return QuickReply(reply_id, title, body, "测试", "zh", shortcut, tuple(tags))


LIBRARY = Library(
    replies={r.id: r for r in [
        reply("refund", "退款申请", "非常抱歉，已为您提交退款申请。", shortcut="tk", tags=["退款", "refund"]),
        reply("repay", "还款提醒", "您的分期还款日是每月 5 日。"),
        reply("duplicate", "重复扣款", "重复扣款会在 24 小时内退回。"),
        reply("bank", "银行卡", "请核对银行预留手机号。"),
        reply("address", "Change delivery address", "We can update the address until the order ships."),
        reply("refund-en", "Refund submitted", "Your refund goes back to the original payment method."),
        reply("long", "Refund policy for international orders placed with gift cards",
              "A long text about refunds."),
    ]},
    faqs=[
        FaqEntry("无法登录怎么办（安卓）？", "更新应用并清除缓存。", ("无法登录", "安卓"), "账号"),
        FaqEntry("无法登录怎么办（iPhone）？", "检查网络。", ("无法登录", "苹果"), "账号"),
    ],
)
DOCS = documents(LIBRARY)


def keys(query, **options):
    return [hit.doc.key for hit in search(DOCS, query, **options)]


@pytest.mark.parametrize("query", ["退款", "tuikuan", "tk", "退k", "tuik", "TuiKuan", "/tk"])
def test_refund_is_found_by_chinese_pinyin_initials_and_mixes(query):
    assert keys(query)[0] == "refund"


@pytest.mark.parametrize("query, expected", [
    ("huankuan", "repay"), ("hk", "repay"), ("haikuan", "repay"),  # 还 reads huan and hai
    ("chongfu", "duplicate"), ("cf", "duplicate"),  # 重 reads chong (and zhong)
    ("yinhang", "bank"), ("yh", "bank"),  # 行 reads hang (and xing)
])
def test_every_reading_of_a_polyphonic_character_matches(query, expected):
    assert keys(query)[0] == expected  # hk: 还款 starts its title, 行卡 (in 银行卡) does not


@pytest.mark.parametrize("query, expected", [("refnd", "refund-en"), ("adress", "address"), ("refudn", "refund-en")])
def test_english_tolerates_a_typo(query, expected):
    assert expected in keys(query)[:2]


def test_all_terms_must_match():
    assert [hit.doc.title for hit in search(DOCS, "无法登录+安卓")] == ["无法登录怎么办（安卓）？"]
    assert [hit.doc.title for hit in search(DOCS, "无法登录 苹果")] == ["无法登录怎么办（iPhone）？"]
    assert keys("无法登录+不存在的词") == []


def test_word_starts_and_consecutive_letters_rank_above_scattered_ones():
    word_start = match_term("ref", prepare("Refund submitted"))
    scattered = match_term("ref", prepare("rxexf"))
    assert word_start[0] > scattered[0]
    consecutive = match_term("fund", prepare("refunding"))
    gapped = match_term("fund", prepare("fxuxnxd"))
    assert consecutive[0] > gapped[0]
    assert match_term("sd", prepare("same day")) is not None  # word initials
    assert match_term("sd", prepare("xsxdx")) is None, "two letters strewn inside a word are noise"


def test_shorter_entries_win_ties_and_usage_lifts_an_entry():
    assert keys("refund policy")[0] == "long"
    plain = keys("refund")
    assert plain.index("refund-en") < plain.index("long"), "same match, shorter text first"
    boosted = keys("refund", usage={"long": Usage(count=30, last_used=1000.0)}, now=1000.0)
    assert boosted.index("long") < boosted.index("refund-en")
    stale = keys("refund", usage={"long": Usage(count=30, last_used=0.0)}, now=365 * 86400.0)
    assert stale.index("refund-en") < stale.index("long"), "a year-old habit counts for little"


def test_the_exact_shortcut_outranks_everything():
    assert search(DOCS, "tk")[0].score > 1000


def test_matched_characters_are_reported_for_highlighting():
    [hit, *_] = search(DOCS, "tuikuan")
    field, positions = next(iter(hit.highlights.items()))
    text = dict(hit.doc.fields)[field]
    assert "".join(text[p] for p in positions) == "退款"


def test_nothing_for_an_empty_query_or_no_match():
    assert keys("") == [] and keys("   +  ") == [] and keys("zzzzqqq") == []


def test_letters_strewn_across_a_sentence_do_not_match_but_word_initials_do():
    assert match_term("tuik", prepare("choose Return, pick a reason")) is None
    assert match_term("sd", prepare("same day")) is not None
