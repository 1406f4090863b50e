"""Hostile and careless library files: alias bombs, oversized and deeply nested input, spreadsheet formulas,
ids used twice, folder names that make poor file names. Each is a clear one-line message naming the file (and
line), and nothing in the library is lost or merged without a word."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quick_replies.library import MAX_FILE_BYTES, STARTER_DIR, FaqEntry, QuickReply, load_library
from quick_replies.library_editing import LibraryEditError, PersonalLibrary
from quick_replies.library_files import (
    ImportError_,
    csv_text,
    export_text,
    formula_escaped,
    formula_unescaped,
    parse_records,
    read_records,
)
from tests.package_under_test import OUTSIDE_TREE, package_env


def agent_console(*args):
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, cwd=OUTSIDE_TREE, timeout=120,
        env=package_env(),
    )


def import_file(path: Path, personal_dir: Path, directories: list[Path] | None = None) -> list[str]:
    """What `agent-console library import` does, without the process: parse, then import; all messages."""
    raw_replies, raw_faqs = read_records(path)
    replies, faqs, problems = parse_records(path, raw_replies, raw_faqs, default_folder=path.stem)
    library = load_library(directories or [STARTER_DIR, personal_dir])
    return problems + PersonalLibrary(personal_dir).import_entries(library, replies, faqs)


def import_error(path: Path) -> str:
    with pytest.raises(ImportError_) as caught:
        read_records(path)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 300, "one short line"
    return message


# --- 1. YAML anchors and aliases, sizes, untrusted values in messages --------------------------------------


def test_yaml_anchors_and_aliases_are_refused_at_their_line(tmp_path):
    path = tmp_path / "team.yaml"
    path.write_text("reply:\n  - title: 正常\n    body: 正文\n  - title: &t 标题\n    body: *t\n", encoding="utf-8")
    message = import_error(path)
    assert message.startswith(f"{path}:4: not valid YAML: anchors and aliases")


def test_a_yaml_alias_bomb_is_refused_before_it_expands(tmp_path):
    lines = ['a0: &a0 ["' + "x" * 100 + '"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    lines += ["reply:", "  - title: *a9", "    body: 正文", "    language: fr"]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert import_error(path).startswith(f"{path}:1: not valid YAML: anchors and aliases")


def test_messages_about_an_entry_never_quote_its_raw_value(tmp_path):
    title = "\x1b]52;c;aGk=\x07" + "长" * 150
    path = tmp_path / "team.json"
    path.write_text(json.dumps({"reply": [{"title": title, "body": "x", "language": "fr"},
                                          {"title": ["list", "title"], "body": "x", "language": "fr"}]}),
                    encoding="utf-8")
    [first, second] = parse_records(path, *read_records(path), default_folder="team")[2]
    assert first.startswith(f"{path}: reply #1: reply '?]52;c;aGk=?长") and "…': language must be" in first
    assert "\x1b" not in first and "\x07" not in first and len(first) < 200
    assert second == f"{path}: reply #2: reply (not text): language must be one of en, zh"


def test_an_import_file_over_the_size_limit_is_refused_unread(tmp_path):
    path = tmp_path / "huge.json"
    path.write_bytes(b'{"reply": []}' + b" " * MAX_FILE_BYTES)
    assert import_error(path) == f"{path}: the file is over 16 MiB; split it"


def test_fields_over_their_limits_are_reported_by_field_and_skipped(tmp_path):
    path = tmp_path / "team.json"
    path.write_text(json.dumps({"reply": [
        {"title": "t" * 201, "body": "x"},
        {"title": "ok", "body": "y" * 10_001},
        {"title": "ok", "body": "x", "tags": [f"t{n}" for n in range(51)]},
        {"title": "好的", "body": "正文"},
    ]}), encoding="utf-8")
    replies, _, problems = parse_records(path, *read_records(path), default_folder="team")
    assert [r.title for r in replies] == ["好的"]
    assert problems == [
        f"{path}: reply #1: 'title' is 201 characters; the limit is 200",
        f"{path}: reply #2: 'body' is 10,001 characters; the limit is 10,000",
        f"{path}: reply #3: 'tags' may hold 50 items of up to 100 characters",
    ]


def test_a_library_file_over_the_size_limit_is_a_problem_and_the_rest_loads(tmp_path):
    (tmp_path / "good.toml").write_text('[[reply]]\nid = "a"\ntitle = "A"\nbody = "正文"\n', encoding="utf-8")
    (tmp_path / "huge.toml").write_bytes(b"# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    library = load_library([tmp_path])
    assert list(library.replies) == ["a"]
    assert [str(p) for p in library.problems] == [
        f"{tmp_path / 'huge.toml'}:1: the file is over 16 MiB; split it into folders"]


# --- 2. inputs that ended in a traceback ---------------------------------------------------------------------


def test_a_csv_cell_over_the_csv_modules_limit_is_one_line_naming_the_row(tmp_path):
    path = tmp_path / "team.csv"
    path.write_text("title,body\n好,正文\n大,\"" + "x" * 140_000 + '"\n', encoding="utf-8")
    assert import_error(path) == f"{path}:3: not valid CSV: field larger than field limit (131072)"


@pytest.mark.parametrize("extension, nested", [
    (".json", '{"reply": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    (".yaml", "reply: " + "[" * 100_000 + "]" * 100_000 + "\n"),
    (".toml", "reply = " + "[" * 100_000 + "]" * 100_000 + "\n"),
])
def test_deeply_nested_input_is_refused_in_one_line(tmp_path, extension, nested):
    path = tmp_path / f"deep{extension}"
    path.write_text(nested, encoding="utf-8")
    message = import_error(path)
    assert message.startswith(f"{path}") and "nested" in message and "deep" in message


def test_a_deeply_nested_library_file_is_a_problem_and_the_rest_loads(tmp_path):
    (tmp_path / "good.toml").write_text('[[reply]]\nid = "a"\ntitle = "A"\nbody = "正文"\n', encoding="utf-8")
    (tmp_path / "deep.toml").write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    library = load_library([tmp_path])
    assert list(library.replies) == ["a"]
    assert [str(p) for p in library.problems] == [f"{tmp_path / 'deep.toml'}:1: not valid TOML: nested too deeply"]


def test_the_cli_refuses_a_hostile_import_in_one_line_and_keeps_the_library(tmp_path):
    data = tmp_path / "d"
    good = tmp_path / "mine.csv"
    good.write_text("title,body,folder\n我的话术,正文,我的\n", encoding="utf-8")
    assert agent_console("library", "import", str(good), "--data-dir", str(data), "--config", "/x").returncode == 0
    before = sorted(p.read_bytes() for p in (data / "library").iterdir())
    for name, text in [("big.csv", "title,body\n大,\"" + "x" * 140_000 + '"\n'),
                       ("deep.json", '{"reply": ' + "[" * 100_000 + "]" * 100_000 + "}"),
                       ("bomb.yaml", "a: &a [x]\nreply:\n  - title: *a\n")]:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = agent_console("library", "import", str(path), "--data-dir", str(data), "--config", "/x")
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(f"error: {path}") and result.stderr.count("\n") == 1, result.stderr
        assert "Traceback" not in result.stderr
    assert sorted(p.read_bytes() for p in (data / "library").iterdir()) == before


def test_a_long_folder_name_gets_a_file_name_the_file_system_takes(tmp_path):
    folder = "售后" * 50  # 100 characters, 300 bytes: over the 255 bytes a file name may have
    personal = PersonalLibrary(tmp_path / "library")
    warnings = personal.import_entries(load_library([tmp_path / "library"]),
                                       [QuickReply("", "长文件夹", "正文", folder, "zh")], [])
    assert warnings == []
    [written] = (tmp_path / "library").iterdir()
    assert len(written.name.encode()) <= 255
    [reply] = load_library([tmp_path / "library"]).replies.values()
    assert reply.folder == folder

    path = tmp_path / "long.csv"
    path.write_text(f"title,body,folder\n话术,正文,{'长' * 101}\n", encoding="utf-8")
    assert parse_records(path, *read_records(path), default_folder="long")[2] == [
        f"{path}:2: 'folder' is 101 characters; the limit is 100"]


# --- 3. CSV formula injection ----------------------------------------------------------------------------------


def test_csv_export_escapes_cells_a_spreadsheet_would_run():
    replies = [QuickReply("a", "=HYPERLINK(\"http://x\")", "+1 call", "@SUM(A1)", "zh", tags=("-2",)),
               QuickReply("b", "'=already quoted", "\tTab", "\rCR", "zh")]
    rows = list(csv.reader(io.StringIO(csv_text(replies, [], "reply"), newline="")))
    assert rows[1][:5] == ["'=HYPERLINK(\"http://x\")", "'+1 call", "", "'-2", "'@SUM(A1)"]
    assert rows[2][:5] == ["''=already quoted", "'\tTab", "", "", "'\rCR"]
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_csv_unescaping_leaves_hand_written_cells_alone():
    assert formula_unescaped("'hello") == "'hello"
    assert formula_unescaped("=1+1") == "=1+1"
    assert formula_unescaped("'=1+1") == "=1+1"


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
titles = texts.map(str.strip).filter(bool)
bodies = texts.map(lambda text: text.strip("\n")).filter(str.strip)
folders = st.sampled_from(["=folder", "-", "@团队", "'+x", "普通", "😀", "🎉"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(titles, bodies, folders), min_size=1, max_size=5, unique_by=lambda t: t[0]))
def test_csv_export_then_import_gives_back_every_text_exactly(rows):
    replies = [QuickReply(f"id{n}", title, body, folder, "zh") for n, (title, body, folder) in enumerate(rows)]
    faqs = [FaqEntry(title, body, (), folder) for title, body, folder in rows]
    with tempfile.TemporaryDirectory() as directory:
        personal = Path(directory) / "library"
        for kind in ("reply", "faq"):
            path = Path(directory) / f"{kind}.csv"
            path.write_text(csv_text(replies, faqs, kind), encoding="utf-8", newline="")
            assert import_file(path, personal, [personal]) == []
        library = load_library([personal])
        assert library.problems == []
        assert sorted((r.title, r.body, r.folder) for r in library.replies.values()) == sorted(rows)
        assert sorted((f.question, f.answer, f.category) for f in library.faqs) == sorted(rows)


@given(st.text(st.sampled_from("'=+-@\t\rax")) | texts)
def test_formula_escaping_is_undone_exactly_and_leaves_nothing_a_spreadsheet_runs(text):
    escaped = formula_escaped(text)
    assert formula_unescaped(escaped) == text
    assert not escaped.startswith(("=", "+", "-", "@", "\t", "\r"))


# --- 4. library integrity --------------------------------------------------------------------------------------


def test_an_id_used_twice_in_one_file_is_reported_with_both_lines(tmp_path):
    (tmp_path / "team.toml").write_text(
        '[[reply]]\nid = "x"\ntitle = "第一"\nbody = "一"\n\n[[reply]]\nid = "x"\ntitle = "第二"\nbody = "二"\n',
        encoding="utf-8")
    library = load_library([tmp_path])
    [problem] = library.problems
    assert str(problem) == (f"{tmp_path / 'team.toml'}:6: id 'x' is also used at {tmp_path / 'team.toml'}:1, "
                            "which this entry hides; give one of them another id")


def test_an_id_used_twice_in_an_import_keeps_both_entries(tmp_path):
    path = tmp_path / "team.json"
    path.write_text(json.dumps({"reply": [{"id": "x", "title": "第一", "body": "一"},
                                          {"id": "x", "title": "第二", "body": "二"}]}), encoding="utf-8")
    warnings = import_file(path, tmp_path / "library")
    assert warnings == [f"{path}: reply #2: id 'x' is also used at {path}: reply #1; imported as 'x-2'"]
    library = load_library([tmp_path / "library"])
    assert {r.id: r.title for r in library.replies.values()} == {"x": "第一", "x-2": "第二"}


def test_emoji_only_folders_keep_files_of_their_own(tmp_path):
    personal = PersonalLibrary(tmp_path / "library")
    dirs = [tmp_path / "library"]
    personal.save_reply(load_library(dirs), QuickReply("", "笑脸话术", "一", "😀", "zh"))
    personal.save_reply(load_library(dirs), QuickReply("", "庆祝话术", "二", "🎉", "zh"))
    library = load_library(dirs)
    assert library.problems == []
    assert {r.title: r.folder for r in library.replies.values()} == {"笑脸话术": "😀", "庆祝话术": "🎉"}
    assert len(list((tmp_path / "library").glob("*.toml"))) == 2


def test_a_folder_in_a_file_named_by_an_earlier_version_is_still_found(tmp_path):
    directory = tmp_path / "library"
    directory.mkdir()
    (directory / "replies.toml").write_text(
        'folder = "😀"\n\n[[reply]]\nid = "old"\ntitle = "旧话术"\nbody = "旧"\n', encoding="utf-8")
    personal = PersonalLibrary(directory)
    personal.save_reply(load_library([directory]), QuickReply("", "新话术", "新", "😀", "zh"))
    personal.save_reply(load_library([directory]), QuickReply("", "别的", "别", "🎉", "zh"))
    library = load_library([directory])
    assert {r.title: r.folder for r in library.replies.values()} == {"旧话术": "😀", "新话术": "😀", "别的": "🎉"}
    assert "新话术" in (directory / "replies.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("extension", [".json", ".yaml", ".toml"])
def test_export_then_import_over_the_starter_does_not_double_the_faq(tmp_path, extension):
    starter = load_library([STARTER_DIR])
    path = tmp_path / f"library{extension}"
    path.write_text(export_text(list(starter.replies.values()), starter.faqs, extension[1:]), encoding="utf-8")
    assert import_file(path, tmp_path / "library") == []
    assert import_file(path, tmp_path / "library") == [], "the same import again changes nothing"
    library = load_library([STARTER_DIR, tmp_path / "library"])
    assert library.problems == []
    assert len(library.faqs) == len(starter.faqs) and len(library.replies) == len(starter.replies)


def test_an_explicit_id_that_replaces_a_starter_entry_says_so(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"reply": [{"id": "greet-zh", "title": "我的问候", "body": "您好"}],
                                "faq": [{"question": "退款多久到账？", "answer": "三天内。"}]},
                               ensure_ascii=False), encoding="utf-8")
    warnings = import_file(path, tmp_path / "library")
    starter_file = STARTER_DIR / "greeting-and-closing.toml"
    assert warnings[0].startswith(f"{path}: reply #1: id 'greet-zh' replaces the entry at {starter_file}:")
    assert warnings[1].startswith(f"{path}: faq #1: the question '退款多久到账？' replaces the entry at "
                                  f"{STARTER_DIR / 'faq.toml'}:")
    library = load_library([STARTER_DIR, tmp_path / "library"])
    assert library.replies["greet-zh"].title == "我的问候"
    assert [f.answer for f in library.faqs if f.question == "退款多久到账？"] == ["三天内。"]

    path.write_text(json.dumps({"reply": [{"id": "greet-zh", "title": "我的问候 2", "body": "您好"}]},
                               ensure_ascii=False), encoding="utf-8")
    [warning] = import_file(path, tmp_path / "library")
    assert warning.startswith(f"{path}: reply #1: id 'greet-zh' replaces your entry at {tmp_path / 'library'}")


def test_an_import_that_moves_a_personal_reply_to_another_folder_leaves_one_copy(tmp_path):
    directory = tmp_path / "library"
    path = tmp_path / "mine.json"
    for folder in ("甲", "乙"):
        path.write_text(json.dumps({"reply": [{"id": "r", "title": "话术", "body": "正文", "folder": folder}]}),
                        encoding="utf-8")
        import_file(path, directory, [directory])
    library = load_library([directory])
    assert library.problems == [] and library.replies["r"].folder == "乙"
    assert [p.name for p in directory.glob("*.toml")] == ["乙.toml"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(titles, bodies, folders), min_size=1, max_size=4, unique_by=lambda t: t[0]),
       st.sampled_from(["json", "yaml", "toml"]))
def test_export_then_import_gives_back_every_text_exactly_in_every_format(rows, fmt):
    replies = [QuickReply(f"id{n}", title, body, folder, "zh") for n, (title, body, folder) in enumerate(rows)]
    faqs = [FaqEntry(title, body, (), folder) for title, body, folder in rows]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"library.{fmt}"
        path.write_text(export_text(replies, faqs, fmt), encoding="utf-8", newline="")
        personal = Path(directory) / "library"
        assert import_file(path, personal, [personal]) == []
        library = load_library([personal])
        assert library.problems == []
        assert sorted((r.id, r.title, r.body, r.folder) for r in library.replies.values()) == \
            sorted((r.id, r.title, r.body, r.folder) for r in replies)
        assert sorted((f.question, f.answer, f.category) for f in library.faqs) == sorted(rows)


def test_saving_a_reply_over_a_field_limit_is_refused_before_anything_is_written(tmp_path):
    personal = PersonalLibrary(tmp_path / "library")
    with pytest.raises(LibraryEditError, match="'title' is 201 characters; the limit is 200"):
        personal.save_reply(load_library([tmp_path / "library"]), QuickReply("", "长" * 201, "正文", "我的", "zh"))
    assert not (tmp_path / "library").exists()


def test_a_folder_name_that_is_not_usable_text_is_reported_and_the_file_name_used(tmp_path):
    (tmp_path / "team.toml").write_text('folder = ["not", "text"]\n\n[[reply]]\nid = "a"\ntitle = "A"\nbody = "x"\n',
                                        encoding="utf-8")
    library = load_library([tmp_path])
    assert library.replies["a"].folder == "team"
    assert [str(p) for p in library.problems] == [
        f"{tmp_path / 'team.toml'}:1: 'folder' must be text of 1-100 characters; the file name 'team' is used"]
