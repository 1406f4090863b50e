"""Parsed library files kept between loads: a start or reload parses only what changed, and never trusts a
cache that does not match the files byte for byte."""

from __future__ import annotations

import os

import pytest

from quick_replies.library import STARTER_DIR, load_library
from quick_replies.library_cache import FILE_NAME, ParsedFiles, load_library_cached

TEAM = """folder = "团队"

[[reply]]
id = "team-refund"
title = "退款进度"
shortcut = "tk"
tags = ["退款"]
body = "您的退款已审核通过。"

[[reply]]
id = "broken"
title = 42
body = "a title that is not text"

[[faq]]
question = "退款多久到账？"
answer = "1-3 个工作日。"
keywords = ["退款"]
"""


def library_dirs(tmp_path):
    team, mine = tmp_path / "team", tmp_path / "mine"
    team.mkdir()
    mine.mkdir()
    (team / "team.toml").write_text(TEAM, encoding="utf-8")
    (mine / "mine.toml").write_text('[[reply]]\nid = "m"\ntitle = "Mine"\nbody = "mine"\n', encoding="utf-8")
    return [STARTER_DIR, team, mine]


def as_seen(library):
    """Everything a load gives that the console shows or searches."""
    replies = library.replies.values()
    return (sorted((r.id, r.title, r.body, r.folder, r.shortcut, r.tags, str(r.source)) for r in replies),
            [(f.key, f.question, f.answer, f.keywords, f.category, str(f.source)) for f in library.faqs],
            [str(problem) for problem in library.problems], library.layers, library.notes)


def load_counting(dirs, cache_dir):
    parsed = ParsedFiles(cache_dir)
    library = load_library(dirs, parsed)
    parsed.save()
    return library, parsed.parsed


def test_a_second_load_parses_nothing_and_gives_the_same_library(tmp_path):
    dirs = library_dirs(tmp_path)
    first, parsed_first = load_counting(dirs, tmp_path / "cache")
    again, parsed_again = load_counting(dirs, tmp_path / "cache")
    assert parsed_first == len(list(STARTER_DIR.glob("*.toml"))) + 2 and parsed_again == 0
    assert as_seen(again) == as_seen(first) == as_seen(load_library(dirs))
    assert any("team.toml:" in problem and "'title' must be text" in problem for problem in as_seen(again)[2]), \
        "a problem keeps its file and line from the cache"


def test_only_the_edited_file_is_parsed_again_even_with_its_size_and_time_kept(tmp_path):
    dirs = library_dirs(tmp_path)
    load_counting(dirs, tmp_path / "cache")
    team_file = dirs[1] / "team.toml"
    before = team_file.stat()
    team_file.write_text(TEAM.replace("您的退款已审核通过。", "您的退款已经到账了。"), encoding="utf-8")
    os.utime(team_file, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size (same characters) and time
    assert team_file.stat().st_size == before.st_size
    library, parsed = load_counting(dirs, tmp_path / "cache")
    assert parsed == 1
    assert library.replies["team-refund"].body == "您的退款已经到账了。"


@pytest.mark.parametrize("damage", [b"", b"not msgpack at all", b"\x81\xa6format\xa5other",
                                    b"\x82\xa6format\xb0library-parsed-1\xa5files\x91\x92\xa1x\x91\x93\xa1z\x01\x02"])
def test_a_damaged_or_foreign_cache_is_ignored_and_replaced(tmp_path, damage):
    dirs = library_dirs(tmp_path)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / FILE_NAME).write_bytes(damage)
    library, parsed = load_counting(dirs, tmp_path / "cache")
    assert as_seen(library) == as_seen(load_library(dirs))
    assert load_counting(dirs, tmp_path / "cache")[1] == 0, "the damaged file was replaced by a good one"


def test_a_file_that_cannot_be_read_is_reported_not_cached(tmp_path):
    dirs = library_dirs(tmp_path)
    unreadable = dirs[1] / "locked.toml"
    unreadable.write_text('[[reply]]\nid = "x"\ntitle = "X"\nbody = "x"\n', encoding="utf-8")
    unreadable.chmod(0)
    try:
        if os.access(unreadable, os.R_OK):
            pytest.skip("running as a user who reads any file")
        library = load_library_cached(dirs, tmp_path / "cache")
        assert any("locked.toml" in str(problem) and "cannot read" in str(problem) for problem in library.problems)
        unreadable.chmod(0o600)
        assert "x" in load_library_cached(dirs, tmp_path / "cache").replies
    finally:
        unreadable.chmod(0o600)


def test_the_cache_keeps_only_the_files_of_the_last_load(tmp_path):
    dirs = library_dirs(tmp_path)
    load_library_cached(dirs, tmp_path / "cache")
    (dirs[1] / "team.toml").unlink()
    load_library_cached(dirs, tmp_path / "cache")
    cached = ParsedFiles(tmp_path / "cache").known
    assert len(cached) == len(list(STARTER_DIR.glob("*.toml"))) + 1


def test_an_unwritable_cache_directory_still_loads_the_library(tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the directory should be")
    dirs = library_dirs(tmp_path)
    assert as_seen(load_library_cached(dirs, blocker)) == as_seen(load_library(dirs))


def test_a_separate_process_leaves_both_caches_ready_for_the_console(tmp_path, monkeypatch):
    from quick_replies.prepare_library import prepare_in_subprocess
    from tests.package_under_test import package_env

    monkeypatch.setenv("PYTHONPATH", package_env().get("PYTHONPATH", ""))  # the copy under test, in either mode
    from quick_replies.search import documents
    from quick_replies.search_index import SearchIndex
    from quick_replies.search_index_cache import load_or_build

    dirs = library_dirs(tmp_path)
    assert prepare_in_subprocess(tmp_path / "cache", "files as they are", dirs)
    library, parsed = load_counting(dirs, tmp_path / "cache")
    assert parsed == 0, "every file came from the cache the other process wrote"
    original = SearchIndex.build
    try:
        SearchIndex.build = None  # a rebuild here would fail: the index must come from the cache
        index = load_or_build(documents(library), tmp_path / "cache", source="files as they are")
    finally:
        SearchIndex.build = original
    assert [hit.doc.title for hit in index.search("tuikuan")][0] == "退款进度"


def test_the_console_and_agent_console_search_share_one_cached_index(tmp_path, monkeypatch, capsys):
    import json

    from cli.library_commands import run_search
    from console.config import Settings
    from quick_replies.reply_library import ReplyLibrary
    from quick_replies.search_index import SearchIndex

    settings = Settings(backend_url=None, token=None, profile="lead", data_dir=tmp_path / "data")
    ReplyLibrary(settings.library_dirs(), settings.search_cache)  # the console's load leaves its index cached

    def rebuilt(docs):
        raise AssertionError("agent-console search rebuilt the index the console had cached")

    monkeypatch.setattr(SearchIndex, "build", rebuilt)
    assert run_search(settings, "tuikuan", as_json=True, limit=3) == 0
    assert json.loads(capsys.readouterr().out)[0]["title"].startswith("退款")
