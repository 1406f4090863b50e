"""The quick-reply library files and placeholders."""

from __future__ import annotations

from quick_replies.library import STARTER_DIR, load_library
from quick_replies.placeholders import fill, unfilled_in


def test_the_starter_library_loads_cleanly_and_covers_every_stage_in_both_languages():
    library = load_library([STARTER_DIR])
    assert library.problems == []
    tags = {tag for reply in library.replies.values() for tag in reply.tags}
    for stage in ("开场", "了解需求", "等待", "物流", "退款", "投诉", "结束"):
        assert stage in tags, stage
    assert {reply.language for reply in library.replies.values()} == {"zh", "en"}
    assert library.by_shortcut("tk").id == "refund-apology-zh"
    assert any("无法登录" in faq.keywords for faq in library.faqs)


def test_a_malformed_file_names_file_and_line_and_the_rest_still_loads(tmp_path):
    (tmp_path / "good.toml").write_text('[[reply]]\nid = "a"\ntitle = "A"\nbody = "正文"\n', encoding="utf-8")
    (tmp_path / "broken.toml").write_text('[[reply]]\nid = "b"\ntitle = "B\nbody = "x"\n', encoding="utf-8")
    library = load_library([tmp_path])
    assert list(library.replies) == ["a"]
    [problem] = library.problems
    assert problem.source.path.name == "broken.toml" and problem.source.line == 3
    assert str(problem).startswith(f"{tmp_path / 'broken.toml'}:3: not valid TOML")


def test_a_bad_entry_is_reported_at_its_header_line(tmp_path):
    (tmp_path / "team.toml").write_text(
        'folder = "团队"\n\n[[reply]]\nid = "ok"\ntitle = "好"\nbody = "正文"\n\n'
        '[[reply]]\nid = "no-body"\ntitle = "缺正文"\n\n'
        '[[reply]]\nid = "bad-lang"\ntitle = "T"\nbody = "x"\nlanguage = "fr"\n\n'
        '[[faq]]\nquestion = "没有答案"\n',
        encoding="utf-8",
    )
    library = load_library([tmp_path])
    assert list(library.replies) == ["ok"] and library.replies["ok"].folder == "团队"
    assert [(p.source.line, p.message) for p in library.problems] == [
        (8, "'body' is missing or empty"),
        (12, "reply 'bad-lang': language must be one of en, zh"),
        (18, "'answer' is missing or empty"),
    ]


def test_personal_entries_override_shared_ones_and_shortcut_clashes_are_reported(tmp_path):
    shared, personal = tmp_path / "shared", tmp_path / "personal"
    shared.mkdir()
    personal.mkdir()
    (shared / "s.toml").write_text(
        '[[reply]]\nid = "x"\ntitle = "团队版"\nbody = "团队"\nshortcut = "tk"\n', encoding="utf-8")
    (personal / "p.toml").write_text(
        '[[reply]]\nid = "x"\ntitle = "我的版本"\nbody = "我的"\nshortcut = "tk"\n\n'
        '[[reply]]\nid = "y"\ntitle = "另一个"\nbody = "y"\nshortcut = "/TK"\n', encoding="utf-8")
    library = load_library([shared, personal])
    assert library.replies["x"].title == "我的版本"
    assert library.by_shortcut("tk").id == "x"
    assert library.replies["y"].shortcut == ""
    [problem] = library.problems
    assert "shortcut /tk of 'y' is already used by 'x'" in problem.message and problem.source.line == 7


def test_placeholders_fill_fall_back_and_stay_marked_when_unknown():
    filled = fill("{customer.name|您}好，订单 {order.id} 运单 {order.tracking|暂无}。{{不是占位符}}",
                  {"customer.name": "林小雨", "order.tracking": ""})
    assert filled.text == "林小雨好，订单 {order.id} 运单 暂无。{不是占位符}"
    [missing] = filled.unfilled
    assert missing.name == "order.id" and filled.text[missing.start:missing.end] == "{order.id}"
    assert fill("{customer.name|您}好", {}).text == "您好"
    assert fill("Hi {customer.name|}!", {}).text == "Hi!"  # an empty fallback leaves no stray space
    assert [u.name for u in unfilled_in(filled.text)] == ["order.id"]
    assert unfilled_in("价格是 {100} 元") == []
