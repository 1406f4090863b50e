"""Layers decide collisions: the agent's own library over the team's over the bundled starter, by id and by
shortcut; the starter and each fuzzy pinyin pair can be switched off in the config. Seen as a team lead would:
write or import the team's library, then look at who answers /tk."""

from __future__ import annotations

import argparse

import pytest

from cli.library_commands import run_library_import
from cli.main import settings_from
from console.config import ConfigError, Settings, resolve_settings
from quick_replies import fuzzy_pinyin
from quick_replies.library import (
    LAYER_PERSONAL,
    LAYER_STARTER,
    LAYER_TEAM,
    STARTER_DIR,
    QuickReply,
    load_library,
)
from quick_replies.library_editing import LibraryEditError, PersonalLibrary

# The starter's demo entries that hold the shortcuts a team wants for its own.
STARTER_HOLDERS = {"tk": "refund-apology-zh", "refund": "refund-en", "address": "address-en"}

TEAM_LIBRARY = """folder = "团队售后"

[[reply]]
id = "team-refund"
title = "退款"
shortcut = "tk"
body = "您好，退款已提交，1-3 个工作日原路退回。"

[[reply]]
id = "team-refund-en"
title = "Refund on its way"
shortcut = "refund"
body = "Your refund is on its way."

[[reply]]
id = "team-address"
title = "Change address"
shortcut = "address"
body = "Please send the new address."

[[faq]]
id = "team-faq-refund"
question = "退款多久到账？"
answer = "1-3 个工作日。"
"""

TEAM_OWNERS = {"tk": "team-refund", "refund": "team-refund-en", "address": "team-address"}


@pytest.fixture
def team_dir(tmp_path):
    team = tmp_path / "team"
    team.mkdir()
    (team / "售后.toml").write_text(TEAM_LIBRARY, encoding="utf-8")
    return team


def test_a_team_library_takes_the_starters_shortcuts_and_notes_what_it_shadowed(tmp_path, team_dir):
    library = load_library([STARTER_DIR, team_dir, tmp_path / "personal"])
    for shortcut, team_id in TEAM_OWNERS.items():
        assert library.by_shortcut(shortcut).id == team_id, shortcut
        assert library.replies[STARTER_HOLDERS[shortcut]].shortcut == "", "the starter's demo entry gave it up"
    assert library.problems == [], "a team over the starter is the point of a team library, not a mistake"
    assert "/tk: 退款 (team) shadows 退款申请 致歉 (starter)" in library.notes
    assert "/refund: Refund on its way (team) shadows Refund submitted (starter)" in library.notes
    assert "/address: Change address (team) shadows Change delivery address (starter)" in library.notes
    assert len(library.notes) == 3


def test_the_agents_own_reply_takes_a_shortcut_from_the_team_and_the_starter(tmp_path, team_dir):
    personal = tmp_path / "personal"
    personal.mkdir()
    (personal / "mine.toml").write_text('[[reply]]\nid = "mine"\ntitle = "我的退款"\nbody = "我的"\nshortcut = "tk"\n',
                                        encoding="utf-8")
    library = load_library([STARTER_DIR, team_dir, personal])
    assert library.by_shortcut("tk").id == "mine"
    assert library.replies["team-refund"].shortcut == "" and library.replies["refund-apology-zh"].shortcut == ""
    assert [note for note in library.notes if note.startswith("/tk:")] == [
        "/tk: 我的退款 (personal) shadows 退款 (team)", "/tk: 我的退款 (personal) shadows 退款申请 致歉 (starter)"]


def test_every_entry_knows_the_layer_it_was_finally_taken_from(tmp_path, team_dir):
    personal = tmp_path / "personal"
    personal.mkdir()
    (personal / "mine.toml").write_text(
        '[[reply]]\nid = "team-address"\ntitle = "我的地址话术"\nbody = "我的"\n\n'
        '[[faq]]\nid = "team-faq-refund"\nquestion = "退款多久到账？"\nanswer = "我的答案"\n', encoding="utf-8")
    library = load_library([STARTER_DIR, team_dir, personal])
    assert library.layers["greet-zh"] == LAYER_STARTER
    assert library.layers["team-refund"] == LAYER_TEAM
    assert library.layers["team-address"] == LAYER_PERSONAL, "overridden by id in the personal library"
    assert library.layers["team-faq-refund"] == LAYER_PERSONAL
    assert {faq.key for faq in library.faqs} <= set(library.layers)
    assert load_library([STARTER_DIR]).layers["greet-zh"] == LAYER_STARTER, "the starter alone is still the starter"
    assert set(load_library([team_dir]).layers.values()) == {LAYER_PERSONAL}, "the last directory is the agent's"


def test_a_clash_inside_one_layer_is_still_a_problem_and_the_first_keeps_the_shortcut(tmp_path, team_dir):
    later = team_dir / "追加.toml"  # read after 售后.toml
    later.write_text('[[reply]]\nid = "team-refund-2"\ntitle = "退款二"\nbody = "x"\nshortcut = "tk"\n',
                     encoding="utf-8")
    library = load_library([STARTER_DIR, team_dir, tmp_path / "personal"])
    assert library.by_shortcut("tk").id == "team-refund"
    assert library.replies["team-refund-2"].shortcut == ""
    [problem] = library.problems
    assert "shortcut /tk of 'team-refund-2' is already used by 'team-refund'" in problem.message
    assert problem.source.path.name == "追加.toml"
    assert "/tk: 退款 (team) shadows 退款申请 致歉 (starter)" in library.notes


def test_a_shadow_note_shows_a_hostile_title_inert(tmp_path):
    team = tmp_path / "team"
    team.mkdir()
    (team / "t.toml").write_text('[[reply]]\nid = "evil"\ntitle = "退款\\u001b[2J\\u202e"\nbody = "x"\n'
                                 'shortcut = "tk"\n', encoding="utf-8")
    [note] = load_library([STARTER_DIR, team, tmp_path / "personal"]).notes
    assert note == "/tk: 退款?[2J? (team) shadows 退款申请 致歉 (starter)"


def test_saving_a_personal_reply_takes_a_lower_layers_shortcut_but_not_one_of_the_agents_own(tmp_path, team_dir):
    personal = PersonalLibrary(tmp_path / "personal")
    dirs = [STARTER_DIR, team_dir, tmp_path / "personal"]
    saved = personal.save_reply(load_library(dirs), QuickReply("", "我的退款", "我的正文", "我的", "zh", "tk"))
    library = load_library(dirs)
    assert library.by_shortcut("tk").id == saved.id
    with pytest.raises(LibraryEditError, match="/tk is already used by “我的退款”"):
        personal.save_reply(library, QuickReply("", "另一个", "正文", "我的", "zh", "tk"))


def settings_for(tmp_path, shared=None, starter=True) -> Settings:
    return Settings(backend_url=None, token=None, profile="demo", data_dir=tmp_path / "data", shared_library=shared,
                    starter=starter)


def test_importing_the_team_library_keeps_its_shortcuts_and_says_what_it_shadowed(tmp_path, team_dir, capsys):
    settings = settings_for(tmp_path)
    assert run_library_import(settings, team_dir / "售后.toml") == 0
    err = capsys.readouterr().err
    assert "without a shortcut" not in err
    assert "note: /tk: 退款 (personal) shadows 退款申请 致歉 (starter)\n" in err
    assert "note: /refund: Refund on its way (personal) shadows Refund submitted (starter)\n" in err
    assert "note: /address: Change address (personal) shadows Change delivery address (starter)\n" in err
    library = load_library(settings.library_dirs())
    for shortcut, team_id in TEAM_OWNERS.items():
        assert library.by_shortcut(shortcut).id == team_id, shortcut
        assert library.replies[STARTER_HOLDERS[shortcut]].shortcut == ""
    assert library.problems == []


def test_an_import_still_drops_a_shortcut_the_agents_own_reply_holds(tmp_path, team_dir, capsys):
    settings = settings_for(tmp_path)
    PersonalLibrary(settings.personal_library).save_reply(
        load_library(settings.library_dirs()), QuickReply("", "我的退款", "我的正文", "我的", "zh", "tk"))
    assert run_library_import(settings, team_dir / "售后.toml") == 0
    err = capsys.readouterr().err
    assert "shortcut /tk is already used by '我的退款'; imported without a shortcut" in err
    library = load_library(settings.library_dirs())
    assert library.by_shortcut("tk").title == "我的退款" and library.replies["team-refund"].shortcut == ""
    assert library.by_shortcut("refund").id == "team-refund-en"


def write_config(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def resolve(path, tmp_path) -> Settings:
    return resolve_settings(backend=None, token=None, agent=None, data_dir=tmp_path / "data", config_path=path)


@pytest.fixture
def no_environment(monkeypatch):
    for name in ("AGENT_CONSOLE_TOKEN", "AGENT_CONSOLE_BACKEND", "AGENT_CONSOLE_CONFIG"):
        monkeypatch.delenv(name, raising=False)


def test_starter_false_leaves_the_bundled_starter_out(tmp_path, team_dir, no_environment):
    settings = resolve(write_config(tmp_path, f'starter = false\nlibrary = "{team_dir.as_posix()}"\n'), tmp_path)
    assert settings.starter is False and STARTER_DIR not in settings.library_dirs()
    library = load_library(settings.library_dirs())
    assert "refund-apology-zh" not in library.replies and library.by_shortcut("tk").id == "team-refund"
    assert library.notes == [] and set(library.layers.values()) == {LAYER_TEAM}
    assert STARTER_DIR in resolve(write_config(tmp_path, ""), tmp_path).library_dirs(), "on by default"


def test_fuzzy_pinyin_pairs_are_all_on_unless_the_config_switches_one_off(tmp_path, no_environment):
    assert resolve(write_config(tmp_path, ""), tmp_path).fuzzy_pinyin == frozenset(fuzzy_pinyin.PAIRS)
    settings = resolve(write_config(tmp_path, '[fuzzy_pinyin]\n"n/l" = false\n"s/sh" = true\n'), tmp_path)
    assert settings.fuzzy_pinyin == frozenset(fuzzy_pinyin.PAIRS) - {"n/l"}


@pytest.mark.parametrize("text, complaint", [
    ('[fuzzy_pinyin]\n"x/y" = false\n', "'x/y' is not a pair"),
    ('[fuzzy_pinyin]\n"n/l" = "no"\n', "'n/l' must be true or false"),
    ('[fuzzy_pinyin]\n"n/l" = 0\n', "'n/l' must be true or false"),
    ('fuzzy_pinyin = "off"\n', "fuzzy_pinyin must be a table"),
    ('starter = "no"\n', "starter must be true or false"),
])
def test_bad_starter_or_fuzzy_pinyin_settings_are_refused_naming_file_and_key(tmp_path, no_environment, text,
                                                                               complaint):
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        resolve(path, tmp_path)
    assert str(error.value).startswith(f"{path}: ") and complaint in str(error.value)


def test_the_commands_settings_switch_the_fuzzy_pairs_for_search(tmp_path, no_environment):
    path = write_config(tmp_path, '[fuzzy_pinyin]\n"n/l" = false\n"f/h" = false\n')
    try:
        settings_from(argparse.Namespace(config=path, data_dir=tmp_path / "data"))
        assert fuzzy_pinyin.enabled() == frozenset(fuzzy_pinyin.PAIRS) - {"n/l", "f/h"}
    finally:
        fuzzy_pinyin.configure(fuzzy_pinyin.PAIRS)
