"""A team's rule file is written by whoever can write to the shared folder: no rule and no file can freeze the
console, exhaust its memory or put a traceback (or the file's own bytes) on the agent's screen."""

from __future__ import annotations

import subprocess
import sys
import threading

import console.incoming_checks
from quick_replies.lint_rules import MAX_RULE_FILE_BYTES, load_rules
from quick_replies.linter import Linter
from tests.package_under_test import OUTSIDE_TREE, package_env
from tests.pilot_helpers import type_text, wait_until
from widgets.chat_list import ChatList
from widgets.composer import Composer

CATASTROPHIC = "rules:\n  - id: team-backtrack\n    category: high_risk\n    level: error\n    scope: {scope}\n" \
               "    message: m\n    patterns: ['(a+)+$']\n"


def team_rules(tmp_path, text: str):
    rules = tmp_path / "shared" / "rules"
    rules.mkdir(parents=True, exist_ok=True)
    (rules / "team.yaml").write_text(text, encoding="utf-8")
    return rules


def test_a_backtracking_pattern_checks_a_customer_message_in_linear_time(tmp_path):
    # With Python's `re` this message takes 2**41 steps: the test would never finish.
    linter = Linter(load_rules([team_rules(tmp_path, CATASTROPHIC.format(scope="incoming"))]))
    assert linter.lint("a" * 40 + "!", "incoming") == []
    assert [f.rule for f in linter.lint("a" * 10_000, "incoming")] == ["team-backtrack"]


def test_agent_console_lint_with_a_backtracking_rule_finishes(tmp_path):
    team_rules(tmp_path, CATASTROPHIC.format(scope="outgoing"))
    config = tmp_path / "config.toml"
    config.write_text(f'library = "{tmp_path / "shared"}"\n', encoding="utf-8")
    result = subprocess.run(  # `re` ran for hours on these 31 characters; the timeout only ends a hung test
        [sys.executable, "-m", "cli", "lint", "--config", str(config), "--data-dir", str(tmp_path / "data"),
         "a" * 30 + "!"], capture_output=True, text=True, cwd=OUTSIDE_TREE, timeout=120, env=package_env())
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_a_pattern_re2_cannot_run_is_refused_naming_file_line_and_rule(tmp_path):
    rules = load_rules([team_rules(tmp_path, (
        "rules:\n"
        "  - id: fine\n    category: cold\n    level: warning\n    message: m\n    patterns: ['亲+']\n"
        "  - id: backreference\n    category: cold\n    level: warning\n    message: m\n    patterns: ['(a)\\1']\n"
        "  - id: lookahead\n    category: cold\n    level: warning\n    message: m\n"
        "    patterns: [ok, \"(?=\\e]52;c;aGk=\\a)x\"]\n"))])  # YAML escapes: ESC and BEL
    problems = [str(problem) for problem in rules.problems]
    assert len(problems) == 2, problems
    assert problems[0].endswith("team.yaml:7: rule backreference: pattern 1 cannot be used (invalid escape "
                                "sequence; RE2 syntax: no backreferences or lookaround)")
    assert "team.yaml:12: rule lookahead: pattern 2 cannot be used" in problems[1]
    assert "\x1b" not in problems[1] and "aGk=" not in problems[1], "the pattern itself is never quoted"
    assert "fine" in rules.rules and "backreference" not in rules.rules and "pii-mobile" in rules.rules


def test_an_alias_bomb_is_refused_with_file_and_line_and_the_other_files_load(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    directory = team_rules(tmp_path, "\n".join(lines) + "\nrules: *a9\n")
    (directory / "other.yaml").write_text(
        "rules:\n  - id: other\n    category: cold\n    level: warning\n    message: m\n    phrases: [亲]\n",
        encoding="utf-8")
    for cache in (None, tmp_path / "cache"):
        rules = load_rules([directory], cache)
        assert [str(p) for p in rules.problems] == [
            f"{directory / 'team.yaml'}: cannot be read: line 1: anchors and aliases (&name, *name) are not "
            "allowed in rule files"]
        assert "other" in rules.rules


def test_an_oversized_rule_file_is_refused_unread(tmp_path):
    directory = team_rules(tmp_path, "rules:\n" + "#" * MAX_RULE_FILE_BYTES + "\n")
    [problem] = load_rules([directory]).problems
    assert str(problem).endswith(f"more than the {MAX_RULE_FILE_BYTES:,} a rule file may hold")


def test_hostile_values_are_described_never_repeated(tmp_path):
    huge = "x" * 100_000
    rules = load_rules([team_rules(tmp_path, (
        "rules:\n"
        f"  - id: [{', '.join(['nested'] * 1000)}]\n    category: cold\n    level: warning\n    message: m\n"
        f"    phrases: [亲]\n"
        f"  - id: long-level\n    category: cold\n    level: {huge}\n    message: m\n    phrases: [亲]\n"
        "  - id: escape-level\n    category: cold\n    level: \"\\e]0;owned\\a\"\n    message: m\n    phrases: [亲]\n"
        "  - id: bad-date\n    category: cold\n    level: warning\n    message: m\n    phrases: [亲]\n"
        "    examples: 2020-01-01\n"))])
    problems = [str(problem) for problem in rules.problems]
    assert problems[0].endswith("team.yaml:2: rule #1: `id` is required text")
    assert problems[1].endswith("rule long-level: level (a text of 100000 characters) is not one of error, "
                                "warning, suggestion")
    assert problems[2].endswith("rule escape-level: level (a text of 10 characters) is not one of error, warning, "
                                "suggestion")
    assert problems[3].endswith("rule bad-date: examples maps flag and pass to lists of texts")
    assert all(len(problem) < 300 for problem in problems)


def test_a_date_that_does_not_exist_is_a_file_error_not_a_traceback(tmp_path):
    [problem] = load_rules([team_rules(tmp_path, "rules: []\nreviewed: 2020-13-45\n")]).problems
    assert str(problem).endswith("team.yaml: cannot be read: a value cannot be built (a date that does not exist?)")


# --- customers' messages are checked in a worker, within limits ---------------------------------------------

def console_with_rules(tmp_path, backend, rule_dirs=None):
    from console.app import AgentConsoleApp
    from local_cache.reference_client import ReferenceApiClient
    from quick_replies.library import STARTER_DIR

    return AgentConsoleApp(tmp_path / "agent.sqlite3", lambda: ReferenceApiClient(backend.url, backend.token),
                           long_poll_wait=1.0, library_dirs=[STARTER_DIR, tmp_path / "library"],
                           rule_dirs=rule_dirs)


async def test_customer_messages_are_checked_off_the_interface_thread(tmp_path, reference_backend):
    app = console_with_rules(tmp_path, reference_backend)
    checked_on = []
    lint = app.linter.lint

    def watched_lint(text, scope="outgoing"):  # the real linter, noting which thread runs it
        if scope == "incoming":
            checked_on.append(threading.get_ident())
        return lint(text, scope)

    app.linter.lint = watched_lint
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = reference_backend.open_chat("陈静", "web")
        reference_backend.customer_says(chat_id, "钱要不回来我真的不想活了")
        await wait_until(pilot, lambda: chat_id in app.desk.chats and app.desk.chats[chat_id].high_risk, "the mark")
    assert checked_on and threading.main_thread().ident not in checked_on


async def test_a_message_that_cannot_be_checked_is_shown_as_not_checked_and_never_retried(
    tmp_path, reference_backend, monkeypatch
):
    # 60 characters stands in for a message beyond what any backend accepts.
    monkeypatch.setattr(console.incoming_checks, "INCOMING_CHECK_LIMIT", 60)
    app = console_with_rules(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = reference_backend.open_chat("陈静", "web")
        reference_backend.customer_says(chat_id, "x" * 61)
        reference_backend.customer_says(chat_id, "我真的不想活了")
        await wait_until(pilot, lambda: getattr(app.desk.chats.get(chat_id), "high_risk", ""), "the later mark")
        await wait_until(pilot, lambda: any("not checked" in alert for alert in app.alert_history), "the alert")
        [alert] = [alert for alert in app.alert_history if "not checked" in alert]
        assert alert.startswith("1 message(s) from 陈静 could not be checked for high risk")
        assert app.store.audit.unchecked_customer_messages(chat_id) == []
        await wait_until(pilot, lambda: app.desk.chats[chat_id].unchecked == 1, "the chat marked")

    again = console_with_rules(tmp_path, reference_backend)
    async with again.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: chat_id in again.desk.chats, "the cached chat")
        await again.workers.wait_for_complete()
        await pilot.pause()
        assert not any("not checked" in alert for alert in again.alert_history), "not tried again on restart"
        assert again.desk.chats[chat_id].unchecked == 1, "the mark outlives the alert"
        [row] = [again.desk.query_one(ChatList).row_text(index) for index, known in
                 enumerate(again.desk.query_one(ChatList).chat_ids) if known == chat_id]
        assert "⚠ high risk" in row  # the later message's mark comes first; the count stays for the record


async def test_a_chat_whose_only_problem_is_an_unchecked_message_says_not_checked_in_the_list(
    tmp_path, reference_backend, monkeypatch
):
    monkeypatch.setattr(console.incoming_checks, "INCOMING_CHECK_LIMIT", 60)
    app = console_with_rules(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = reference_backend.open_chat("王建国", "web")
        reference_backend.customer_says(chat_id, "y" * 61)
        await wait_until(pilot, lambda: getattr(app.desk.chats.get(chat_id), "unchecked", 0), "the chat marked")
        await wait_until(pilot, lambda: any("⚠ not checked" in app.desk.query_one(ChatList).row_text(index)
                                            for index in range(len(app.desk.query_one(ChatList).chat_ids))),
                         "the row's mark")


async def test_a_backtracking_incoming_rule_leaves_the_console_working(tmp_path, reference_backend):
    # With `re`, this froze the console at 100% CPU (and again at every start). Without the fix this test hangs.
    rules = team_rules(tmp_path, CATASTROPHIC.format(scope="incoming"))
    app = console_with_rules(tmp_path, reference_backend, [rules])
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = reference_backend.open_chat("陈静", "web")
        reference_backend.customer_says(chat_id, "a" * 40 + "!")
        reference_backend.customer_says(chat_id, "a" * 41)
        await wait_until(pilot, lambda: getattr(app.desk.chats.get(chat_id), "high_risk", "") == "team-backtrack",
                         "the team rule's mark")
        await type_text(pilot, "您好")
        await wait_until(pilot, lambda: app.desk.query_one(Composer).text == "您好", "typing still works")


# --- the console process ----------------------------------------------------------------------------------

CRASHING_CONSOLE = """
import sys
from cli.main import main
from console.app import AgentConsoleApp

def crash(self):  # a fault injected on purpose: the inputs that crashed the console are all handled now
    raise RuntimeError("injected crash")

AgentConsoleApp.on_mount = crash
sys.exit(main(sys.argv[1:]))
"""


def test_a_crash_of_the_console_exits_non_zero(tmp_path, reference_backend):
    import pexpect

    child = pexpect.spawn(
        sys.executable, ["-c", CRASHING_CONSOLE, "--backend", reference_backend.url, "--token",
                         reference_backend.token, "--data-dir", str(tmp_path / "data"),
                         "--config", str(tmp_path / "absent.toml")],
        cwd=str(OUTSIDE_TREE), env={**package_env(), "TERM": "xterm-256color"}, dimensions=(36, 120))
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert b"injected crash" in child.before
    assert child.exitstatus == 1


async def test_a_customer_profile_of_the_wrong_shape_opens_as_unreadable(tmp_path, reference_backend):
    from widgets.customer_panel import CustomerPanel

    app = console_with_rules(tmp_path, reference_backend)
    async with app.run_test(size=(160, 40)) as pilot:
        chat_id = reference_backend.open_chat("陈静", "web", orders=5)
        reference_backend.customer_says(chat_id, "你好")
        await wait_until(pilot, lambda: app.desk.current_chat_id == chat_id, "the chat opened")
        panel = app.desk.query_one(CustomerPanel)
        await wait_until(pilot, lambda: "unreadable" in str(panel.render()), "the panel")
        shown = str(panel.render())
        assert shown.endswith("Orders   unreadable")


def test_a_sequence_of_many_optional_words_checks_a_message_in_linear_time(tmp_path):
    # Thirty optional steps give Python's `re` 2**30 paths on this text: it would not finish. Such a sequence
    # runs in RE2 (quick_replies/lint_sequences.py: BACKTRACK_BOUND).
    steps = " ".join(["(x)?"] * 30 + ["y"])
    rules = load_rules([team_rules(tmp_path, "rules:\n  - id: team-optional\n    category: cold\n    level: warning\n"
                                             f"    message: m\n    sequences: ['{steps}']\n")])
    assert rules.problems == []
    linter = Linter(rules)
    assert linter.lint("x " * 2000) == []
    assert [f.rule for f in linter.lint("x x y")] == ["team-optional"]
