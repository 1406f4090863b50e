"""Search as a team lead meets it: import the team's library and 3,000 more entries, then type as an agent does.

Each test is one problem seen before the search was exact (it fails on the capped search and the old ranking):
the exact title lost to look-alikes that tied on score, `refund` and `adress` lost their entries among
thousands, fuzzy pinyin and transposed pinyin found nothing, and two letters matched letters strewn inside
words.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from cli.library_commands import run_library_import
from console.config import Settings
from quick_replies import fuzzy_pinyin
from quick_replies.library import STARTER_DIR, Library, QuickReply
from quick_replies.reply_library import ReplyLibrary
from quick_replies.search import documents, search

TEAM_FILE = Path(__file__).parent.parent / "fixtures" / "team_library.toml"
FILLER_TITLES = ["refund status {n}", "Refund status update {n}", "change address {n}", "Address change {n}",
                 "退款进度 {n}", "退款 {n}", "refund {n}", "Refund policy {n}", "破损 {n}"]
FILLER_BODIES = ["Your refund status: {n}.", "We changed the address for order {n}.", "退款已处理 {n}。",
                 "Refund and address questions, case {n}.", "商品破损，编号 {n}。"]


def write_fillers(path: Path, count: int) -> None:
    rng = random.Random(2180)
    lines = ['folder = "Imported"']
    for n in range(count):
        title = rng.choice(FILLER_TITLES).format(n=rng.randint(1000, 9999))
        body = rng.choice(FILLER_BODIES).format(n=n)
        lines += ["", "[[reply]]", f'id = "filler-{n}"', f'title = "{title}"', f'body = "{body}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def team_search(tmp_path_factory):
    """The console's own library (starter + the agent's imports), searched as its panel searches."""
    root = tmp_path_factory.mktemp("lead")
    settings = Settings(backend_url=None, token=None, profile="lead", data_dir=root)
    fillers = root / "more.toml"
    write_fillers(fillers, 3_000)
    assert run_library_import(settings, TEAM_FILE) == 0
    assert run_library_import(settings, fillers) == 0
    library = ReplyLibrary(settings.library_dirs(), root / "cache")

    def titles(query: str, limit: int = 40) -> list[str]:
        return [result.title for result in library.search(query, {}, limit=limit)]

    return titles


def test_the_exact_title_comes_first_among_look_alikes(team_search):
    assert team_search("Refund status")[0] == "Refund status"
    assert team_search("refund status")[0] == "Refund status"


def test_the_teams_shortcut_and_title_word_win_over_thousands_of_fillers(team_search):
    assert team_search("refund")[0] == "Refund status"  # /refund is the team's now, and a title word
    assert team_search("tk")[0] == "退款进度"


def test_a_typo_finds_the_title_before_fillers_that_only_mention_it(team_search):
    assert team_search("adress")[0] == "Change address"  # the shortest title with the word the typo means


def test_fuzzy_and_transposed_pinyin_find_the_teams_entries(team_search):
    assert "破损补发" in team_search("poshun")[:3]  # 破损 reads posun; s/sh is the commonest confusion
    assert team_search("tuikaun")[0] == "退款进度"  # tuikuan with two letters swapped
    assert all("refund" in title.lower() for title in team_search("refnud")[:20])


def reply(reply_id: str, title: str, body: str = "正文", shortcut: str = "") -> QuickReply:
    return QuickReply(reply_id, title, body, "f", "zh", shortcut)


def test_a_fuzzy_sound_ranks_below_the_exact_reading():
    docs = documents(Library(replies={r.id: r for r in [reply("fuzzy", "破损"), reply("exact", "坡顺")]}))
    assert [hit.doc.key for hit in search(docs, "poshun")] == ["exact", "fuzzy"]
    assert [hit.doc.key for hit in search(docs, "posun")] == ["fuzzy", "exact"]


@pytest.mark.parametrize("pair, query, title", [
    ("s/sh", "poshun", "破损"), ("z/zh", "zifu", "支付"), ("c/ch", "caxun", "查询"), ("n/l", "lanfang", "南方"),
    ("f/h", "huwu", "服务"), ("r/l", "lou", "肉"), ("an/ang", "bang", "班"), ("en/eng", "meng", "门"),
    ("in/ing", "ying", "音"), ("ian/iang", "xiang", "先"), ("uan/uang", "guang", "关"),
])
def test_each_fuzzy_pair_matches_when_on_and_not_when_switched_off(pair, query, title):
    docs = documents(Library(replies={"r": reply("r", title)}))
    try:
        assert [hit.doc.title for hit in search(docs, query)] == [title]
        fuzzy_pinyin.configure(set(fuzzy_pinyin.PAIRS) - {pair})
        assert search(docs, query) == [], f"{query} still finds {title} with {pair} off"
    finally:
        fuzzy_pinyin.configure(fuzzy_pinyin.PAIRS)


def test_two_letters_do_not_match_letters_strewn_inside_words():
    docs = documents(_starter())
    titles = [hit.doc.title for hit in search(docs, "tk", limit=40)]
    assert titles[0] == "退款申请 致歉"
    assert not {"Greeting", "Closing", "Tracking update"} & set(titles), titles


def _starter() -> Library:
    from quick_replies.library import load_library

    return load_library([STARTER_DIR])


def test_a_tie_goes_to_the_shorter_text_then_to_the_higher_layer():
    library = Library(replies={r.id: r for r in [reply("starter", "退款说明", "同样的正文"),
                                                 reply("team", "退款说明", "同样的正文"),
                                                 reply("mine", "退款说明", "同样的正文"),
                                                 reply("short", "退款说明", "短")]},
                      layers={"starter": 0, "team": 1, "mine": 2, "short": 0})
    assert [hit.doc.key for hit in search(documents(library), "退款")] == ["short", "mine", "team", "starter"]
