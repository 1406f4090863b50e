"""Import/export round trips in every format, bad import files, and editing the personal library."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from quick_replies.library import STARTER_DIR, QuickReply, load_library
from quick_replies.library_editing import LibraryEditError, PersonalLibrary
from tests.package_under_test import OUTSIDE_TREE, package_env


def agent_console(*args):
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, cwd=OUTSIDE_TREE, timeout=120,
        env=package_env(),
    )


def comparable(library):
    replies = sorted((r.title, r.body, r.shortcut, r.tags, r.folder, r.language) for r in library.replies.values())
    faqs = sorted((f.question, f.answer, f.keywords, f.category) for f in library.faqs)
    return replies, faqs


@pytest.mark.parametrize("extension", [".yaml", ".toml", ".json"])
def test_export_then_import_into_an_empty_profile_gives_the_same_library(tmp_path, extension):
    exported = tmp_path / f"library{extension}"
    source = ["--data-dir", str(tmp_path / "a"), "--config", "/nonexistent"]
    assert agent_console("library", "export", str(exported), *source).returncode == 0

    target = tmp_path / "b"
    result = agent_console("library", "import", str(exported), "--data-dir", str(target), "--config", "/none")
    assert result.returncode == 0, result.stderr
    imported = load_library([target / "library"])
    assert imported.problems == []
    assert comparable(imported) == comparable(load_library([STARTER_DIR]))


def test_csv_round_trip_for_replies_and_for_faq(tmp_path):
    source = ["--data-dir", str(tmp_path / "a"), "--config", "/nonexistent"]
    target = ["--data-dir", str(tmp_path / "b"), "--config", "/nonexistent"]
    for kind in ("reply", "faq"):
        path = tmp_path / f"{kind}.csv"
        assert agent_console("library", "export", str(path), "--kind", kind, *source).returncode == 0
        header = path.read_text(encoding="utf-8").splitlines()[0]
        assert header == ("title,body,shortcut,tags,folder,language" if kind == "reply"
                          else "question,answer,keywords,category")
        assert agent_console("library", "import", str(path), *target).returncode == 0
    assert comparable(load_library([tmp_path / "b" / "library"])) == comparable(load_library([STARTER_DIR]))


def test_a_bad_import_names_file_and_line_and_imports_the_rest(tmp_path):
    path = tmp_path / "team.csv"
    path.write_text(
        "title,body,shortcut,tags,folder,language\n"
        "好的话术,正文一,hh,a;b,团队,zh\n"
        "缺正文,,x1,,团队,zh\n"
        "错误语言,正文,x2,,团队,fr\n"
        '"多行正文","第一行\n第二行",,,团队,zh\n',
        encoding="utf-8",
    )
    result = agent_console("library", "import", str(path), "--data-dir", str(tmp_path / "d"), "--config", "/x")
    assert result.returncode == 0
    assert f"{path}:3: 'body' is missing or empty" in result.stderr
    assert f"{path}:4: reply '错误语言': language must be one of en, zh" in result.stderr
    library = load_library([tmp_path / "d" / "library"])
    assert sorted(r.title for r in library.replies.values()) == ["多行正文", "好的话术"]
    assert library.by_shortcut("hh").tags == ("a", "b")
    assert next(r for r in library.replies.values() if r.title == "多行正文").body == "第一行\n第二行"

    broken = tmp_path / "broken.yaml"
    broken.write_text("reply:\n  - title: x\n    body: [unclosed\n", encoding="utf-8")
    result = agent_console("library", "import", str(broken), "--data-dir", str(tmp_path / "d"), "--config", "/x")
    assert result.returncode == 2 and f"{broken}:" in result.stderr and "not valid YAML" in result.stderr
    unknown = agent_console("library", "import", str(tmp_path / "x.docx"), "--config", "/x")
    assert unknown.returncode == 2 and "unknown format" in unknown.stderr


def test_a_large_import_shows_progress_and_ends_with_a_count(tmp_path):
    path = tmp_path / "big.json"
    replies = [{"title": f"话术 {n}", "body": f"正文 {n}", "folder": f"文件夹{n % 5}"} for n in range(1500)]
    path.write_text(json.dumps({"reply": replies}, ensure_ascii=False), encoding="utf-8")
    result = agent_console("library", "import", str(path), "--data-dir", str(tmp_path / "d"), "--config", "/x")
    assert result.returncode == 0 and "imported 1500 replies" in result.stdout
    assert len(load_library([tmp_path / "d" / "library"]).replies) == 1500
    assert len(list((tmp_path / "d" / "library").glob("*.toml"))) == 5, "one file per folder"


def reply(title, body="正文", shortcut="", folder="我的"):
    return QuickReply("", title, body, folder, "zh", shortcut)


def test_save_edit_move_and_delete_in_the_personal_library(tmp_path):
    personal = PersonalLibrary(tmp_path / "library")
    dirs = [STARTER_DIR, tmp_path / "library"]

    saved = personal.save_reply(load_library(dirs), reply("我的退款话术", shortcut="wtk"))
    library = load_library(dirs)
    assert library.by_shortcut("wtk").id == saved.id and library.problems == []

    with pytest.raises(LibraryEditError, match=r"/wtk is already used by “我的退款话术”"):
        personal.save_reply(library, reply("另一个", shortcut="wtk"))  # one of the agent's own: refused

    moved = personal.save_reply(library, QuickReply(saved.id, "我的退款话术", "新正文", "售后", "zh", "wtk"))
    library = load_library(dirs)
    assert library.replies[moved.id].folder == "售后" and library.replies[moved.id].body == "新正文"
    assert len([r for r in library.replies.values() if r.shortcut == "wtk"]) == 1, "moved, not copied"

    starter_copy = personal.save_reply(library, QuickReply("refund-apology-zh", "退款（我的版本）", "我的版本正文",
                                                           "我的", "zh", "tk"))
    library = load_library(dirs)
    assert library.replies[starter_copy.id].title == "退款（我的版本）", "a personal copy overrides the starter"
    with pytest.raises(LibraryEditError, match="not yours to change"):
        personal.delete_reply(library, "greet-zh")

    personal.delete_reply(library, moved.id)
    library = load_library(dirs)
    assert moved.id not in library.replies and library.problems == []


def test_exporting_into_a_folder_that_cannot_be_written_is_one_line_and_a_failure(tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the export's folder should be")
    result = agent_console("library", "export", str(blocked / "library.json"), "--data-dir", str(tmp_path / "a"),
                           "--config", "/nonexistent")
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot write") and len(result.stderr.strip().splitlines()) == 1, \
        result.stderr
