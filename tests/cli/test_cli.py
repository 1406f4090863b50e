"""The `agent-console` command, run as a user runs it: separate processes, real backend, real files."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from rich.cells import cell_len

from console.config import DEMO_PROFILE
from local_cache.store import LocalStore, profile_path
from tests.package_under_test import OUTSIDE_TREE, package_env
from widgets.inert_text import inert

SUBCOMMANDS = ["serve", "chats", "history", "sync", "send", "outbox", "search", "library", "lint"]


def agent_console(*args, env=None, check=True, input_text=None):
    result = subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, cwd=OUTSIDE_TREE, timeout=60,
        env=package_env(**(env or {})), input=input_text,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}: {result.stderr}")
    return result


def test_chats_history_and_sync_over_the_same_store(connection, reference_backend, tmp_path):
    chat_id = reference_backend.open_chat("Emily Carter", "web")
    reference_backend.customer_says(chat_id, "Hi! Do you ship to Canada?")

    chats = json.loads(agent_console("chats", "--json", *connection).stdout)
    assert [(c["id"], c["customer"], c["state"], c["unread"]) for c in chats] == [
        (chat_id, "Emily Carter", "opened", 1)
    ]

    history = json.loads(agent_console("history", "--chat", chat_id, "--json", *connection).stdout)
    assert [(m["author"], m["text"], m["delivery"]) for m in history] == [
        ("customer", "Hi! Do you ship to Canada?", None)
    ]
    assert history[0]["time"].endswith("Z") and history[0]["id"]

    report = json.loads(agent_console("sync", "--once", "--json", *connection).stdout)
    assert report == {"sent": 0, "rejected": 0, "waiting": 0, "pulled_messages": 0, "pushed_elsewhere": False}

    reference_backend.stop()
    offline = agent_console("chats", "--offline", *connection).stdout  # the backend is not contacted
    assert "Emily Carter" in offline and chat_id in offline


def test_history_output_is_inert(connection, reference_backend):
    chat_id = reference_backend.open_chat("Mallory")
    reference_backend.customer_says(chat_id, "\x1b]52;c;ZXZpbA==\x07 \x1b[2J gone")
    human = agent_console("history", "--chat", chat_id, *connection).stdout
    assert "\x1b" not in human and "␛]52;c;ZXZpbA==␇ ␛[2J gone" in human
    as_json = agent_console("history", "--chat", chat_id, "--json", *connection).stdout
    assert "\x1b" not in as_json and json.loads(as_json)[0]["text"].startswith("\x1b]52")


def test_the_token_is_never_printed(tmp_path, reference_backend):
    secret = "wrong-token-that-must-not-leak"
    args = ["--backend", reference_backend.url, "--data-dir", str(tmp_path), "--config", str(tmp_path / "x.toml")]
    for command in (["sync", "--once"], ["chats"], ["history", "--chat", "nope"]):
        result = agent_console(*command, *args, env={"AGENT_CONSOLE_TOKEN": secret}, check=False)
        assert secret not in result.stdout + result.stderr
    failed = agent_console("sync", "--once", *args, env={"AGENT_CONSOLE_TOKEN": secret}, check=False)
    assert failed.returncode == 4 and "401" in failed.stderr


def test_clear_errors_for_bad_setup(tmp_path):
    no_token = agent_console("sync", "--once", "--backend", "http://127.0.0.1:9", "--config",
                             str(tmp_path / "none.toml"), check=False, env={"AGENT_CONSOLE_TOKEN": ""})
    assert no_token.returncode == 2 and "needs a token" in no_token.stderr

    config = tmp_path / "config.toml"
    config.write_text('backend = "http://127.0.0.1:9"\ncolour = "blue"\n')
    bad_config = agent_console("chats", "--config", str(config), check=False)
    assert bad_config.returncode == 2 and str(config) in bad_config.stderr and "colour" in bad_config.stderr

    data = tmp_path / "data"
    (data / "profiles").mkdir(parents=True)
    (data / "profiles" / "demo.sqlite3").write_bytes(b"garbage" * 1000)
    corrupt = agent_console("chats", "--offline", "--data-dir", str(data), "--config", str(config) + ".none",
                            check=False)
    assert corrupt.returncode == 2 and "demo.sqlite3" in corrupt.stderr


@pytest.mark.parametrize("command", [[], *[[c] for c in SUBCOMMANDS], ["library", "import"], ["library", "export"]])
def test_every_option_is_documented_in_help(command):
    text = agent_console(*command, "--help").stdout
    expected = {
        (): ["--backend", "--token", "--agent", "--data-dir", "--config", "--simulate", *SUBCOMMANDS],
        ("serve",): ["--host", "--port", "--db", "--token", "--simulate", "--channel-token", "--sim-pace"],
        ("chats",): ["--json", "--offline", "--backend", "--token", "--data-dir"],
        ("history",): ["--chat", "--json", "--backend", "--token", "--data-dir"],
        ("sync",): ["--once", "--json", "--backend", "--token", "--data-dir", "Exit status"],
        ("send",): ["--chat", "--wait", "--timeout", "TEXT", "--backend", "--data-dir", "--recover-store",
                    "--override-reason"],
        ("lint",): ["TEXT", "--json", "--config", "exit status 1"],
        ("outbox",): ["--json", "--backend", "--data-dir"],
        ("search",): ["QUERY", "--json", "--limit", "--data-dir", "--config"],
        ("library",): ["import", "export", "csv", "title,body,shortcut,tags,folder,language"],
        ("library", "import"): ["FILE", "--data-dir", "--config"],
        ("library", "export"): ["FILE", "--kind", "--data-dir", "--config"],
    }[tuple(command)]
    for option in expected:
        assert option in text, f"{option} missing from {' '.join(command)} --help"


def test_send_is_durable_at_once_and_wait_reports_delivery(connection, reference_backend, tmp_path):
    chat_id = reference_backend.open_chat("陈静")
    agent_console("sync", "--once", *connection)
    offline = ["--backend", "http://127.0.0.1:9", *connection[2:]]  # nothing listens on port 9

    queued = agent_console("send", "--chat", chat_id, "先存起来", *offline)
    assert queued.returncode == 0 and "queued" in queued.stderr
    [item] = json.loads(agent_console("outbox", "--json", *offline).stdout)
    assert (item["state"], item["body"]) == ("queued", {"text": "先存起来"})

    delivered = agent_console("send", "--chat", chat_id, "--wait", "马上为您处理", *connection)
    assert delivered.returncode == 0, delivered.stderr
    texts = [m["text"] for m in reference_backend.messages(chat_id)]
    assert texts == ["先存起来", "马上为您处理"], "the earlier queued message went first"
    items = json.loads(agent_console("outbox", "--json", *connection).stdout)
    assert [(i["state"], i["attempts"]) for i in items] == [("sent", 1), ("sent", 1)]

    refused = agent_console("send", "--chat", "ch_nonexistent", "--wait", "去哪了", *connection, check=False)
    assert refused.returncode == 3 and "404" in refused.stderr
    human = agent_console("outbox", *connection).stdout
    assert "rejected" in human and "去哪了" in human


def test_send_reads_standard_input_and_refuses_empty_text(connection, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "cli", "send", "--chat", "ch_1", "-", *connection], input="多行\n消息\n",
        capture_output=True, text=True, cwd=OUTSIDE_TREE, env=package_env(),
    )
    assert result.returncode == 0
    [item] = json.loads(agent_console("outbox", "--json", *connection).stdout)
    assert item["body"]["text"] == "多行\n消息"
    empty = agent_console("send", "--chat", "ch_1", "   ", *connection, check=False)
    assert empty.returncode == 2 and "empty" in empty.stderr


def test_search_uses_the_starter_team_and_personal_libraries(tmp_path):
    team = tmp_path / "team"
    team.mkdir()
    (team / "team.toml").write_text(
        '[[reply]]\nid = "team-refund"\ntitle = "团队退款话术"\nbody = "退款已处理"\nshortcut = "ttk"\n',
        encoding="utf-8",
    )
    personal = tmp_path / "data" / "library"
    personal.mkdir(parents=True)
    (personal / "mine.toml").write_text('[[reply]]\nid = "broken"\ntitle = "坏的\n', encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'library = "{team}"\n', encoding="utf-8")
    base = ["--data-dir", str(tmp_path / "data"), "--config", str(config)]

    results = json.loads(agent_console("search", "--json", "--limit", "50", "tuikuan", *base).stdout)
    assert {"title", "kind", "score"} <= set(results[0])
    titles = [r["title"] for r in results]
    assert "团队退款话术" in titles and "退款申请 致歉" in titles and "退款多久到账？" in titles
    assert {r["kind"] for r in results} == {"reply", "faq"}
    assert results == sorted(results, key=lambda r: -r["score"])

    top = json.loads(agent_console("search", "--json", "/ttk", *base).stdout)[0]
    assert top["title"] == "团队退款话术"
    warned = agent_console("search", "tk", *base)
    assert "mine.toml:3" in warned.stderr, "a broken personal file is named with its line; the rest works"
    assert "退款申请 致歉" in warned.stdout
    assert len(json.loads(agent_console("search", "--json", "--limit", "2", "退款", *base).stdout)) == 2


def test_json_output_keeps_chinese_readable_and_controls_escaped(connection, reference_backend):
    chat_id = reference_backend.open_chat("林小雨")
    reference_backend.customer_says(chat_id, "你好\x9b2J\u202e")
    out = agent_console("history", "--chat", chat_id, "--json", *connection).stdout
    assert "你好" in out and "\x9b" not in out and "\u202e" not in out
    assert json.loads(out)[0]["text"] == "你好\x9b2J\u202e"


def test_search_ranks_by_this_agents_usage_and_keeps_its_index_between_runs(tmp_path):
    base = ["--data-dir", str(tmp_path / "data")]
    plain = json.loads(agent_console("search", "--json", "--limit", "50", "退款", *base).stdout)
    assert not (tmp_path / "data" / "profiles").exists(), "a search never creates a store"
    index_file = tmp_path / "data" / "cache" / "search-index.npz"
    assert index_file.exists()
    built_at = index_file.stat().st_mtime_ns

    favourite = plain[-1]["id"]
    store = LocalStore(profile_path(tmp_path / "data", DEMO_PROFILE))  # the profile without --backend
    for _ in range(20):
        store.reply_usage.record(favourite)
    store.close()
    used = json.loads(agent_console("search", "--json", "--limit", "50", "退款", *base).stdout)
    assert [r["id"] for r in used].index(favourite) < len(plain) - 1, "the agent's habit lifts the entry"
    assert index_file.stat().st_mtime_ns == built_at, "an unchanged library is served from the cache"


def test_lint_reports_line_column_and_suggestion_and_fails_on_errors(tmp_path):
    base = ["--data-dir", str(tmp_path / "data"), "--config", str(tmp_path / "absent.toml")]
    blocked = agent_console("lint", "您好\n麻烦把密码告诉我", *base, check=False)
    assert blocked.returncode == 1
    assert "2:3 error privacy-credentials" in blocked.stdout and "请在官方页面自助完成验证" in blocked.stdout
    warned = agent_console("lint", "-", *base, check=False, input_text="这绝对不可能")
    assert warned.returncode == 0 and "warning absolutist" in warned.stdout
    findings = json.loads(agent_console("lint", "--json", "卡号6222021234567890128", *base, check=False).stdout)
    assert {"level", "rule", "category", "message", "start", "end", "suggestions"} <= set(findings[0])
    assert (findings[0]["level"], findings[0]["start"], findings[0]["end"]) == ("error", 2, 21)
    hostile = agent_console("lint", "绝对不可能\x1b]52;c;ZXZpbA==\x07", *base, check=False)
    assert "\x1b" not in hostile.stdout, "the flagged wording is printed inert"


def test_send_refuses_errors_unless_overridden_and_records_the_reason(tmp_path):
    base = ["--data-dir", str(tmp_path / "data"), "--config", str(tmp_path / "absent.toml")]
    refused = agent_console("send", "--chat", "c1", "已为您改成13812345678", *base, check=False)
    assert refused.returncode == 2 and "pii-mobile" in refused.stderr and "--override-reason" in refused.stderr
    store = LocalStore(profile_path(tmp_path / "data", DEMO_PROFILE))
    assert store.outbox.items() == [], "nothing was queued"
    store.close()

    agent_console("send", "--chat", "c1", "已为您改成13812345678", "--override-reason", "客户本人要求核对号码", *base)
    agent_console("send", "--chat", "c1", "这绝对不可能", *base)  # a warning does not stop the shell
    store = LocalStore(profile_path(tmp_path / "data", DEMO_PROFILE))
    items = store.outbox.items()
    [override] = store.audit.lint_overrides()
    store.close()
    assert len(items) == 2
    assert override["outbox_key"] == items[0].idempotency_key and override["reason"] == "客户本人要求核对号码"
    assert [f["rule"] for f in override["findings"]] == ["pii-mobile"]


def test_search_results_carry_what_the_linter_says_of_each_entry(tmp_path):
    personal = tmp_path / "data" / "library"
    personal.mkdir(parents=True)
    (personal / "mine.toml").write_text(
        '[[reply]]\nid = "pw"\ntitle = "登录问题"\nbody = "麻烦把密码告诉我，我帮您登录"\nshortcut = "dlwt"\n',
        encoding="utf-8")
    base = ["--data-dir", str(tmp_path / "data"), "--config", str(tmp_path / "absent.toml")]
    [flagged] = [r for r in json.loads(agent_console("search", "--json", "dlwt", *base).stdout) if r["id"] == "pw"]
    assert [(f["level"], f["rule"]) for f in flagged["lint"]] == [("error", "privacy-credentials")]
    clean = json.loads(agent_console("search", "--json", "tk", *base).stdout)[0]
    assert clean["lint"] == []


# --- the bundled phrase rules are a compliance control: without them nothing runs --------------------------

BUNDLED_RULE_DAMAGE = {
    "missing": lambda rules: None,
    "empty": lambda rules: rules.mkdir(),
    "not YAML": lambda rules: (rules.mkdir(), (rules / "standard.yaml").write_text("rules: [unclosed")),
    "not UTF-8": lambda rules: (rules.mkdir(), (rules / "standard.yaml").write_bytes(b"rules:\n  - id: \xff\xfe")),
    "no rules list": lambda rules: (rules.mkdir(), (rules / "standard.yaml").write_text("title: nothing\n")),
}


@pytest.mark.parametrize("damage", BUNDLED_RULE_DAMAGE)
@pytest.mark.parametrize("command", [["lint", "您好"], ["send", "--chat", "c1", "您好"], ["search", "tk"], []],
                         ids=["lint", "send", "search", "console"])
def test_missing_or_unreadable_bundled_rules_stop_every_command(tmp_path, monkeypatch, capsys, damage, command):
    from cli.main import main
    from console.app import AgentConsoleApp
    from quick_replies import lint_rules

    rules = tmp_path / "rules"
    BUNDLED_RULE_DAMAGE[damage](rules)
    monkeypatch.setattr(lint_rules, "BUNDLED_RULES", rules)
    monkeypatch.setattr(AgentConsoleApp, "run", lambda self: pytest.fail("the TUI started without its rules"))
    base = ["--data-dir", str(tmp_path / "data"), "--config", str(tmp_path / "absent.toml"),
            "--backend", "http://127.0.0.1:9", "--token", "t"]
    status = main([*command, *base])
    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith("error: ") and str(rules) in error and "phrase rules" in error, error
    assert not (tmp_path / "data" / "profiles").exists(), "nothing was queued, no store was opened"


# --- columns line up in terminal cells: a Chinese character takes two ---------------------------------------

def column_start(line: str, text: str) -> int:
    """The terminal cell at which `text` starts in `line`."""
    return cell_len(line[:line.index(text)])


def test_outbox_columns_line_up_with_chinese_text(connection, reference_backend):
    chat_id = reference_backend.open_chat("陈静")
    agent_console("sync", "--once", *connection)
    for chat, text in [(chat_id, "您好，您的订单已经发出，请注意查收快递，谢谢您的耐心等待，祝您生活愉快"),
                       ("ch_nonexistent", "去哪了？我们马上为您查询"), ("ch_nonexistent", "where did it go")]:
        agent_console("send", "--chat", chat, "--wait", text, *connection, check=False)
    header, *lines = agent_console("outbox", *connection).stdout.splitlines()
    items = json.loads(agent_console("outbox", "--json", *connection).stdout)
    errors = {item["id"]: item["last_error"] for item in items}
    rejected = [line for line in lines if "rejected" in line]
    assert len(lines) == 3 and len(rejected) == 2
    for line in rejected:
        item_id = int(line.split()[0])
        assert column_start(line, inert(errors[item_id])) == column_start(header, "LAST ERROR"), (header, line)
    assert column_start(header, "LAST ERROR") - column_start(header, "WHAT") <= 42, "long texts are cut to 40 cells"


def test_chats_columns_line_up_with_chinese_text(connection, reference_backend):
    reference_backend.open_chat("Emily Carter", "web")
    reference_backend.open_chat("陈静", "微信")
    reference_backend.open_chat("赵先生", "抖音小店客服")
    header, *lines = agent_console("chats", *connection).stdout.splitlines()
    customers = {"Emily Carter", "陈静", "赵先生"}
    for line in lines:
        [customer] = [name for name in customers if line.endswith(name)]
        assert column_start(line, customer) == column_start(header, "CUSTOMER"), (header, line)


# --- a reader that goes away (`| head -1`) ends a command quietly --------------------------------------------

READER_GONE = 141  # what a shell reports for a command killed by SIGPIPE, as `cat` or `grep` would be


@pytest.mark.parametrize("command", [["search", "tk"], ["search", "--json", "--limit", "50", "tk"],
                                     ["lint", "这绝对不可能"], ["chats", "--offline"], ["outbox"]])
def test_a_closed_standard_output_ends_a_command_quietly(tmp_path, command):
    base = ["--data-dir", str(tmp_path / "data"), "--config", str(tmp_path / "absent.toml")]
    process = subprocess.Popen([sys.executable, "-m", "cli", *command, *base], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=OUTSIDE_TREE, env=package_env())
    process.stdout.close()  # the reader is gone before the first line is written
    errors = process.stderr.read()
    assert process.wait(60) == READER_GONE, errors
    assert "Traceback" not in errors and "BrokenPipeError" not in errors and "Exception ignored" not in errors


def test_search_piped_into_head_prints_no_traceback(tmp_path):
    # More output than a pipe holds (64 KiB), so `head` leaves while the search is still writing.
    personal = tmp_path / "data" / "library"
    personal.mkdir(parents=True)
    body = "您的退款申请已提交，预计三到五个工作日原路退回。" * 8
    (personal / "many.toml").write_text("".join(
        f'[[reply]]\nid = "refund-{n}"\ntitle = "退款说明 {n}"\nbody = "{body}"\n' for n in range(300)),
        encoding="utf-8")
    base = f"--data-dir {tmp_path / 'data'} --config {tmp_path / 'absent.toml'}"
    result = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {sys.executable} -m cli search --json --limit 300 退款 {base} | head -1"],
        capture_output=True, text=True, cwd=OUTSIDE_TREE, env=package_env(), timeout=60)
    assert result.stdout == "[\n"
    assert result.stderr == ""
    assert result.returncode == READER_GONE
