"""`agent-console history --search`: every message in the store, open and closed chats, masked, inert, with the
match marked; JSON with the same fields; --reveal is logged per chat shown; --chat still works."""

from __future__ import annotations

import json
import sqlite3

import pytest

from local_cache.store import profile_path
from tests.cli.test_cli import agent_console


@pytest.fixture
def two_chats(reference_backend):
    first = reference_backend.open_chat("陈静")
    reference_backend.customer_says(first, "我要退款，手机13812345678")
    second = reference_backend.open_chat("Emily \x1b]0;owned\x07Carter")
    reference_backend.customer_says(second, "Where is my REFUND? \x1b[2J")
    reference_backend.customer_says(second, '退款 "NEAR(" OR *')
    return first, second


def test_search_finds_chinese_and_english_newest_first_masked_and_marked(connection, two_chats):
    first, second = two_chats
    rows = json.loads(agent_console("history", "--search", "退款", "--json", *connection).stdout)
    assert [(row["chat"], row["seq"]) for row in rows] == [(second, 2), (first, 1)]
    assert set(rows[1]) == {"chat", "customer", "state", "id", "seq", "author", "private", "time", "text", "spans"}
    assert rows[1]["private"] is False
    assert rows[1]["customer"] == "陈静" and rows[1]["state"] == "opened" and rows[1]["time"].endswith("Z")
    assert rows[1]["text"] == "我要退款，手机138****5678" and rows[1]["spans"] == [[2, 4]]

    human = agent_console("history", "--search", "refund", "--offline", *connection).stdout
    assert "Where is my ⟦REFUND⟧?" in human and second in human
    assert "\x1b" not in human and "\x07" not in human  # a customer's name and text cannot steer the terminal

    phone = agent_console("history", "--search", "13812345678", *connection).stdout
    assert "⟦138****5678⟧" in phone and "13812345678" not in phone


def test_query_syntax_is_searched_as_text_and_limit_applies(connection, two_chats):
    _, second = two_chats
    for query in ('"NEAR("', "OR *", '"'):
        rows = json.loads(agent_console("history", "--search", query, "--json", *connection).stdout)
        assert [row["seq"] for row in rows] == [2] and rows[0]["chat"] == second, query
    assert len(json.loads(agent_console("history", "--search", "退款", "--limit", "1", "--json",
                                        *connection).stdout)) == 1
    nothing = agent_console("history", "--search", "没有这句话", *connection)
    assert nothing.stdout == "" and "no message contains" in nothing.stderr
    assert agent_console("history", "--search", "x", "--limit", "0", *connection, check=False).returncode == 2


def test_search_reveal_is_logged_per_chat_shown(connection, two_chats, tmp_path):
    first, _ = two_chats
    result = agent_console("history", "--search", "手机", "--reveal", "--json", *connection)
    assert json.loads(result.stdout)[0]["text"] == "我要退款，手机13812345678"
    assert "logged" in result.stderr
    conn = sqlite3.connect(profile_path(tmp_path / "data", "default"))
    try:
        assert conn.execute("SELECT chat_id FROM pii_reveals").fetchall() == [(first,)]
    finally:
        conn.close()


def test_chat_and_search_are_one_or_the_other(connection, two_chats):
    first, _ = two_chats
    assert json.loads(agent_console("history", "--chat", first, "--json", *connection).stdout)[0]["text"] == (
        "我要退款，手机138****5678")
    assert agent_console("history", *connection, check=False).returncode == 2
    assert agent_console("history", "--chat", first, "--search", "x", *connection, check=False).returncode == 2
