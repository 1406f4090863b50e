"""`agent-console history` shows personal data masked, as the console does; `--reveal` shows it and is logged."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from local_cache.store import profile_path
from tests.package_under_test import OUTSIDE_TREE, package_env

SAID = "我的手机13812345678，身份证11010519491231002X，卡号6222021234567890128"
MASKED = "我的手机138****5678，身份证110105********002X，卡号622202*********0128"


def agent_console(*args, check=True):
    result = subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True,
                            cwd=OUTSIDE_TREE, timeout=60, env=package_env())
    assert result.returncode == 0 or not check, result.stderr
    return result


def reveals(tmp_path):
    conn = sqlite3.connect(profile_path(tmp_path / "data", "default"))
    try:
        return conn.execute("SELECT chat_id FROM pii_reveals").fetchall()
    finally:
        conn.close()


def test_history_masks_personal_data_and_logs_nothing(connection, reference_backend, tmp_path):
    chat_id = reference_backend.open_chat("陈静")
    reference_backend.customer_says(chat_id, SAID)
    human = agent_console("history", "--chat", chat_id, *connection).stdout
    as_json = agent_console("history", "--chat", chat_id, "--json", *connection).stdout
    for output in (human, as_json):
        assert "13812345678" not in output and "11010519491231002X" not in output
        assert "6222021234567890128" not in output
    assert MASKED in human
    assert json.loads(as_json)[0]["text"] == MASKED
    assert reveals(tmp_path) == []


def test_history_reveal_shows_it_in_clear_and_is_logged(connection, reference_backend, tmp_path):
    chat_id = reference_backend.open_chat("陈静")
    reference_backend.customer_says(chat_id, SAID)
    result = agent_console("history", "--chat", chat_id, "--json", "--reveal", *connection)
    assert json.loads(result.stdout)[0]["text"] == SAID
    assert "logged" in result.stderr
    assert reveals(tmp_path) == [(chat_id,)]
    agent_console("history", "--chat", chat_id, "--reveal", "--offline", *connection)
    assert reveals(tmp_path) == [(chat_id,), (chat_id,)]


def test_a_reveal_of_a_chat_that_does_not_exist_logs_nothing(connection, reference_backend, tmp_path):
    reference_backend.open_chat("陈静")  # the store exists
    result = agent_console("history", "--chat", "ch_none", "--reveal", *connection, check=False)
    assert result.returncode == 2 and "ch_none" in result.stderr
    assert reveals(tmp_path) == []
