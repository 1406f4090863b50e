"""`agent-console history --chat` tells an internal note from a message, in text and in JSON."""

from __future__ import annotations

import json

import httpx

from tests.cli.test_history_reveal import agent_console


def test_history_marks_internal_notes(connection, reference_backend):
    chat_id = reference_backend.open_chat("陈静")
    reference_backend.customer_says(chat_id, "杯子碎了")
    for key, body in (("n-1", {"text": "先问仓库", "private": True}), ("r-1", {"text": "马上为您处理"})):
        httpx.post(f"{reference_backend.url}/api/v1/chats/{chat_id}/messages", json=body, timeout=10,
                   headers={"Authorization": f"Bearer {reference_backend.token}", "Idempotency-Key": key})
    human = agent_console("history", "--chat", chat_id, *connection).stdout.splitlines()
    rows = json.loads(agent_console("history", "--chat", chat_id, "--json", *connection).stdout)
    assert [row["private"] for row in rows] == [False, True, False]
    assert [line.split(": ", 1)[1] for line in human if "(internal note)" in line] == ["先问仓库"]
