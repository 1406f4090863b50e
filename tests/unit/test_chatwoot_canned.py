"""Chatwoot's canned responses as a library layer (local_cache/chatwoot_canned.py), read by the real loader."""

from __future__ import annotations

from local_cache.chatwoot_canned import FILE_NAME, write_canned_library
from quick_replies.library import STARTER_DIR, load_library

CANNED = [
    {"id": 7, "short_code": "Refund-Policy", "content": "Refunds take 3-5 working days."},
    {"id": 3, "short_code": "退款", "content": "退款会在3-5个工作日内到账。"},
    {"id": 9, "short_code": "hostile", "content": 'x"""\n[[reply]]\nid = "evil"\nbody = "injected"\n\\u0000'},
    {"id": 11, "short_code": "empty", "content": "  "},
]


def test_canned_responses_load_as_replies_with_their_shortcuts(tmp_path):
    assert write_canned_library(tmp_path / "chatwoot", CANNED)
    library = load_library([STARTER_DIR, tmp_path / "chatwoot", tmp_path / "mine"])
    assert library.problems == []
    canned = {key: reply for key, reply in library.replies.items() if key.startswith("chatwoot-")}
    assert set(canned) == {"chatwoot-3", "chatwoot-7", "chatwoot-9"}, "an empty one is left out"
    assert (canned["chatwoot-7"].shortcut, canned["chatwoot-7"].language) == ("refund-policy", "en")
    assert (canned["chatwoot-3"].shortcut, canned["chatwoot-3"].title, canned["chatwoot-3"].language) == (
        "", "退款", "zh"), "a short code that is not a shortcut stays the title"
    assert canned["chatwoot-9"].body == CANNED[2]["content"], "content is data: it never becomes TOML"
    assert "evil" not in library.replies


def test_the_file_is_rewritten_only_when_the_list_changed(tmp_path):
    folder = tmp_path / "chatwoot"
    assert write_canned_library(folder, CANNED)
    before = (folder / FILE_NAME).stat().st_mtime_ns
    assert not write_canned_library(folder, list(reversed(CANNED)))
    assert (folder / FILE_NAME).stat().st_mtime_ns == before
    assert write_canned_library(folder, CANNED[:1])
    assert "退款" not in (folder / FILE_NAME).read_text(encoding="utf-8")
