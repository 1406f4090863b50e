"""Settings precedence: command line, then environment, then the config file, then defaults."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from console.config import ConfigError, resolve_settings
from tests.package_under_test import OUTSIDE_TREE, package_env


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    for name in ("AGENT_CONSOLE_TOKEN", "AGENT_CONSOLE_BACKEND", "AGENT_CONSOLE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "config.toml"
    path.write_text('backend = "http://file:1"\ntoken = "file-token"\nagent = "xiaowang"\n')
    return path


def resolve(config_file, **given):
    options = {"backend": None, "token": None, "agent": None, "data_dir": None, "config_path": config_file}
    return resolve_settings(**{**options, **given})


def test_the_config_file_fills_what_nothing_else_gives(config_file):
    settings = resolve(config_file)
    assert (settings.backend_url, settings.token, settings.profile) == ("http://file:1", "file-token", "xiaowang")


def test_environment_beats_the_file_and_the_command_line_beats_both(config_file, monkeypatch):
    monkeypatch.setenv("AGENT_CONSOLE_TOKEN", "env-token")
    assert resolve(config_file).token == "env-token"
    assert resolve(config_file, token="cli-token").token == "cli-token"


def test_no_backend_means_the_embedded_default_and_the_demo_profile(tmp_path, monkeypatch):
    for name in ("AGENT_CONSOLE_TOKEN", "AGENT_CONSOLE_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    settings = resolve(tmp_path / "missing.toml", data_dir=tmp_path)
    assert (settings.backend_url, settings.profile, settings.data_dir) == (None, "demo", tmp_path)


def test_a_backend_without_a_token_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("AGENT_CONSOLE_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="needs a token"):
        resolve(tmp_path / "missing.toml", backend="http://x:1")


def test_the_token_stays_out_of_repr(config_file):
    assert "file-token" not in repr(resolve(config_file))


@pytest.mark.parametrize("content, complaint", [("colour = 'blue'\n", "colour"), ("token = 5\n", "token"),
                                                ("token = \n", "config.toml")])
def test_bad_config_files_name_the_file_and_the_problem(tmp_path, content, complaint):
    path = tmp_path / "config.toml"
    path.write_text(content)
    with pytest.raises(ConfigError) as error:
        resolve(path)
    assert str(path) in str(error.value) and complaint in str(error.value)


def test_sla_limits_language_and_keys_come_from_the_config_file(tmp_path, monkeypatch):
    monkeypatch.delenv("AGENT_CONSOLE_BACKEND", raising=False)
    path = tmp_path / "config.toml"
    path.write_text('language = "zh"\n[sla]\nfirst_response = 60\nurgent = 120\n[keys]\nclose_chat = "f6"\n')
    settings = resolve(path)
    assert (settings.sla.first_response, settings.sla.limits["urgent"], settings.sla.limits["normal"]) == (
        60, 120, 7200)
    assert (settings.language, settings.keys) == ("zh", {"close_chat": "f6"})


def test_the_language_follows_the_locale_unless_the_config_says(tmp_path, monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES", "AGENT_CONSOLE_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert resolve(tmp_path / "missing.toml").language == "zh"
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert resolve(tmp_path / "missing.toml").language == "en"


@pytest.mark.parametrize("text, complaint", [
    ('[sla]\nurgent = "soon"\n', "urgent must be a positive number"),
    ('[sla]\nurgnet = 60\n', "urgnet is not a limit"),
    ('sla = "fast"\n', "sla must be a table"),
    ('[keys]\nclose_chat = 6\n', "close_chat must be a key name"),
    ('language = "fr"\n', "use one of en, zh"),
])
def test_bad_sla_keys_or_language_settings_are_refused_naming_the_file(tmp_path, monkeypatch, text, complaint):
    monkeypatch.delenv("AGENT_CONSOLE_BACKEND", raising=False)
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=complaint) as raised:
        resolve(path)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize("text, complaint", [
    ("[sla]\nnormal = inf\n", r"\[sla\] normal must be a positive number of seconds"),
    ("[sla]\nurgent = nan\n", r"\[sla\] urgent must be a positive number of seconds"),
    ("[sla]\nnormal = -inf\n", r"\[sla\] normal must be a positive number of seconds"),
    ("[sla]\nnormal = 1e300\n", r"\[sla\] normal must be at most 2592000 seconds"),
    ("keys = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    ("x = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n", "nested too deeply"),
    ('data_dir = "/tmp/a\\u0000b"\n', "data_dir holds a NUL character"),
    ('agent = "\x1b]0;x\x07"\n', r"Illegal character '\\x1b' \(at line 1, column 10\)"),
], ids=["inf", "nan", "-inf", "huge", "deep-array", "deep-table", "nul", "escape"])
def test_hostile_config_values_are_one_line_errors_naming_file_and_key(tmp_path, monkeypatch, text, complaint):
    monkeypatch.delenv("AGENT_CONSOLE_BACKEND", raising=False)
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=complaint) as raised:
        resolve(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and "\n" not in message and "\x1b" not in message


def test_an_oversized_config_file_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.delenv("AGENT_CONSOLE_BACKEND", raising=False)
    path = tmp_path / "config.toml"
    path.write_text("# " + "x" * 2_000_000 + "\n")
    with pytest.raises(ConfigError, match="larger than 1,048,576 bytes"):
        resolve(path)


@pytest.mark.parametrize("url, complaint", [
    ("http://[::1", "malformed or its port"), ("http://host:99999", "malformed or its port"),
    ("localhost:8000", "must begin with http"), ("http://", "has no host"), ("http://a b", "spaces or control"),
    ("http://\x1b]0;x\x07", "spaces or control"), ("http://host:0", "port 0"),
])
def test_a_malformed_backend_url_is_refused_naming_where_it_came_from(tmp_path, monkeypatch, url, complaint):
    monkeypatch.delenv("AGENT_CONSOLE_BACKEND", raising=False)
    with pytest.raises(ConfigError, match=f"^--backend: the URL.*{complaint}|^--backend: {complaint}") as raised:
        resolve(tmp_path / "missing.toml", backend=url, token="t")
    shown = str(raised.value).replace("http://127.0.0.1:8000", "")  # the example is not the URL given
    assert url not in shown, "never quoted: it may hold a password or escape sequences"
    monkeypatch.setenv("AGENT_CONSOLE_BACKEND", url)
    with pytest.raises(ConfigError, match=r"^\$AGENT_CONSOLE_BACKEND: "):
        resolve(tmp_path / "missing.toml", token="t")
    monkeypatch.delenv("AGENT_CONSOLE_BACKEND")
    path = tmp_path / "config.toml"
    path.write_text(f"backend = {json.dumps(url)}\ntoken = \"t\"\n")  # JSON escapes are TOML escapes
    with pytest.raises(ConfigError, match=f"^backend in {path}: "):
        resolve(path)


def test_agent_console_with_a_malformed_backend_url_exits_2_with_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "cli", "chats", "--backend", "http://[::1", "--token", "t",
         "--data-dir", str(tmp_path), "--config", str(tmp_path / "absent.toml")],
        capture_output=True, text=True, cwd=OUTSIDE_TREE, timeout=60, env=package_env())
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: --backend: the URL is malformed")


def test_a_token_in_a_config_file_others_can_read_draws_a_warning(config_file, tmp_path):
    config_file.chmod(0o644)
    assert resolve(config_file).warnings == (
        f"{config_file} holds a token and other users can read it; chmod 600 {config_file}",)
    config_file.chmod(0o600)
    assert resolve(config_file).warnings == ()
    config_file.write_text('agent = "xiaowang"\n')
    config_file.chmod(0o644)
    assert resolve(config_file).warnings == ()  # nothing secret in it

    config_file.write_text('token = "file-token"\n')
    config_file.chmod(0o640)
    result = subprocess.run(
        [sys.executable, "-m", "cli", "chats", "--offline", "--data-dir", str(tmp_path / "data"),
         "--config", str(config_file)], capture_output=True, text=True, cwd=OUTSIDE_TREE, timeout=60,
        env=package_env())
    assert result.stderr.startswith(f"warning: {config_file} holds a token and other users can read it"), \
        result.stderr


def test_closing_settings_come_from_the_config_file_and_default_to_no_invite(tmp_path, monkeypatch):
    monkeypatch.delenv("AGENT_CONSOLE_BACKEND", raising=False)
    path = tmp_path / "config.toml"
    path.write_text("")
    assert (resolve(path).satisfaction_invite, resolve(path).idle_close_minutes) == ("", 30.0)
    path.write_text('satisfaction_invite = "  请为本次服务评分，谢谢！ "\nidle_close_minutes = 12.5\n')
    assert (resolve(path).satisfaction_invite, resolve(path).idle_close_minutes) == ("请为本次服务评分，谢谢！", 12.5)
    for bad in ("idle_close_minutes = -1", "idle_close_minutes = true", 'idle_close_minutes = "10"',
                f'satisfaction_invite = "{"x" * 5001}"'):
        path.write_text(bad + "\n")
        with pytest.raises(ConfigError, match=str(path.name)):
            resolve(path)
