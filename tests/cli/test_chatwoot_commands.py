"""The headless commands against a Chatwoot account (the fake Chatwoot, a real process), as an agent runs them:
`--backend chatwoot+http://HOST:PORT/ACCOUNT_ID` and the agent's Chatwoot access token."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_cli import agent_console
from tests.fake_chatwoot.control import FakeChatwoot


@pytest.fixture
def chatwoot():
    with FakeChatwoot(validator="tests.fake_chatwoot.contract_check") as fake:
        yield fake
        assert fake.contract_violations() == []


def test_chats_history_send_sync_and_outbox_work_the_same(chatwoot, tmp_path):
    contact = chatwoot.add_contact("陈静", phone_number="+8613812345678")
    conversation = chatwoot.add_conversation(contact)
    chatwoot.customer_says(conversation, "快递到哪了？")
    connection = ["--backend", chatwoot.console_url, "--token", chatwoot.token,
                  "--data-dir", str(tmp_path / "data"), "--config", str(tmp_path / "absent.toml")]
    chat_id = str(conversation)

    chats = json.loads(agent_console("chats", "--json", *connection).stdout)
    assert [(c["id"], c["customer"], c["unread"]) for c in chats] == [(chat_id, "陈静", 1)]
    history = json.loads(agent_console("history", "--chat", chat_id, "--json", *connection).stdout)
    assert [(m["author"], m["text"]) for m in history] == [("customer", "快递到哪了？")]

    agent_console("send", "--chat", chat_id, "正在为您查询", *connection)
    assert "正在为您查询" in agent_console("outbox", *connection).stdout
    delivered = agent_console("send", "--chat", chat_id, "--wait", "明天送到", *connection)
    assert delivered.returncode == 0
    report = json.loads(agent_console("sync", "--once", "--json", *connection).stdout)
    assert report["waiting"] == 0 and report["rejected"] == 0
    sent = [m["content"] for m in chatwoot.messages(conversation) if m["message_type"] == 1]
    assert sent == ["正在为您查询", "明天送到"]
    listed = agent_console("history", "--chat", chat_id, *connection).stdout
    assert "正在为您查询" in listed and "13812345678" not in agent_console("chats", *connection).stdout

    refused = agent_console("sync", "--once", "--backend", chatwoot.console_url, "--token", "wrong", "--data-dir",
                            str(tmp_path / "other"), "--config", str(tmp_path / "absent.toml"), check=False)
    assert refused.returncode == 4 and "wrong" not in refused.stdout + refused.stderr, "the token is never printed"
