"""`agent-console history` lists a message's attachments: in JSON as objects, for people as inert lines."""

from __future__ import annotations

import json

from tests.cli.test_cli import agent_console


def test_history_lists_attachments_inert_and_masked(connection, reference_backend):
    chat_id = reference_backend.open_chat("陈静", "app")
    reference_backend.customer_says(chat_id, "", [
        {"name": "13812345678\x1b[2J.jpg", "type": "image/jpeg", "size": 48213, "url": "https://cdn.example.com/a.jpg"}])
    human = agent_console("history", "--chat", chat_id, *connection).stdout
    assert "\x1b" not in human
    assert "[attachment] 138****5678␛[2J.jpg (image/jpeg, 48213 bytes) https://cdn.example.com/a.jpg" in human
    [message] = json.loads(agent_console("history", "--chat", chat_id, "--json", *connection).stdout)
    assert message["text"] == "" and message["attachments"] == [
        {"name": "138****5678\x1b[2J.jpg", "type": "image/jpeg", "size": 48213, "url": "https://cdn.example.com/a.jpg"}]
