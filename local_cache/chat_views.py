"""What the UI and CLI read from the local copy of chats: the chat list's summaries and a chat's transcript.

Functions here run inside the caller's read; `ChatCache` (chat_cache.py) is what callers use.
"""

from __future__ import annotations

import json
import sqlite3

from local_cache.attachments import attachments_from_json
from local_cache.models import ChatSummary, TranscriptEntry

PREVIEW_CHARS = 60


SUMMARY_QUERY = """
WITH chosen AS (SELECT id, read_seq FROM chats {where}),
last_agent AS (
    -- The agent has answered once a reply is in the outbox, even before the server acknowledges it. An
    -- internal note is no answer: the customer still waits.
    SELECT chat_id, MAX(created_at) AS at FROM (
        SELECT chat_id, created_at FROM messages
        WHERE author='agent' AND private=0 AND chat_id IN (SELECT id FROM chosen)
        UNION ALL
        SELECT chat_id, created_at FROM outbox WHERE kind='message' AND state IN ('queued', 'sending')
            AND COALESCE(json_extract(body, '$.private'), 0) = 0
    ) GROUP BY chat_id
),
unanswered AS (
    SELECT m.chat_id, MIN(m.created_at) AS since FROM messages m LEFT JOIN last_agent a ON a.chat_id = m.chat_id
    WHERE m.author='customer' AND m.private=0 AND m.chat_id IN (SELECT id FROM chosen)
        AND (a.at IS NULL OR m.created_at > a.at)
    GROUP BY m.chat_id
)
SELECT c.*,
    (SELECT COUNT(*) FROM messages m WHERE m.chat_id=c.id AND m.author='customer' AND m.private=0
        AND m.seq > c.read_seq) AS unread,
    -- The conversation's last line: a note is the agents' aside, not where the conversation stands.
    (SELECT text FROM messages m WHERE m.chat_id=c.id AND m.private=0 ORDER BY seq DESC LIMIT 1) AS last_text,
    u.since AS waiting_since,
    r.rule AS high_risk,
    r.complaint_rule AS complaint_risk,
    COALESCE(r.unchecked, 0) AS unchecked
FROM chats c LEFT JOIN unanswered u ON u.chat_id = c.id LEFT JOIN chat_risk r ON r.chat_id = c.id
WHERE c.id IN (SELECT id FROM chosen)
ORDER BY (c.state = 'closed'), c.created_at, c.id
"""


def chat_summaries(conn: sqlite3.Connection, chat_ids: list[str] | None = None) -> list[ChatSummary]:
    """All chats, or only `chat_ids` (what changed: a fraction of the work at thousands of messages).
    Open chats first, oldest first; the app orders them by urgency."""
    if chat_ids is None:
        rows = conn.execute(SUMMARY_QUERY.format(where=""))
    else:
        where = f"WHERE id IN ({','.join('?' * len(chat_ids))})"
        rows = conn.execute(SUMMARY_QUERY.format(where=where), list(chat_ids))
    return [
        ChatSummary(
            id=row["id"],
            customer_name=row["customer_name"],
            customer_title=row["customer_title"],
            vip=bool(row["vip"]),
            channel=row["channel"],
            state=row["state"],
            priority=row["priority"],
            last_message_preview=" ".join((row["last_text"] or "").split())[:PREVIEW_CHARS],
            unread=row["unread"],
            waiting_since=row["waiting_since"] if row["state"] != "closed" else None,
            high_risk=row["high_risk"] or "",
            unchecked=row["unchecked"],
            complaint_risk=row["complaint_risk"] or "",
            created_at=row["created_at"],
            opened_at=row["opened_at"] or row["created_at"],
            tags=tuple(json.loads(row["tags"])),
            customer_id=row["customer_id"],
        )
        for row in rows
    ]


# A server message, with what this console knows of it: the transfer that left it (a system line) or the
# linter override recorded with it (an agent message sent despite errors).
SERVER_MESSAGES = """
SELECT m.id, m.seq, m.author, m.text, m.created_at, m.private, m.attachments, COALESCE(o.body, m.transfer) AS action,
    l.reason, l.findings
FROM messages m
LEFT JOIN outbox o ON o.idempotency_key = m.client_key AND o.kind = 'action'
LEFT JOIN lint_overrides l ON l.outbox_key = m.client_key
WHERE m.chat_id=? AND m.seq>? ORDER BY m.seq
"""

# What the agent has sent that the server has not acknowledged: messages, and transfers (a rejected transfer
# did not happen: the rejected bar says so).
PENDING_ITEMS = """
SELECT o.idempotency_key, o.kind, o.body, o.created_at, o.state, o.last_error, l.reason, l.findings FROM outbox o
LEFT JOIN lint_overrides l ON l.outbox_key = o.idempotency_key
WHERE o.chat_id=? AND o.state != 'sent'
    AND (o.kind = 'message' OR (o.state != 'rejected' AND json_extract(o.body, '$.type') = 'transfer'))
ORDER BY o.id
"""


def transcript(conn: sqlite3.Connection, chat_id: str, after_seq: int = 0) -> list[TranscriptEntry]:
    """Server messages in order (those after `after_seq`), then what the agent sent that is still in the outbox,
    in the order it was sent. A message sent despite linter errors is followed by a system line with the
    reason; a transfer is a system line, from the outbox until the server's own line replaces it."""
    entries = []
    for row in conn.execute(SERVER_MESSAGES, (chat_id, after_seq)):
        action = json.loads(row["action"]) if row["action"] else {}
        event = ("transfer", action.get("to", ""), action.get("note", "")) if row["author"] == "system" and (
            action.get("type") == "transfer") else ()
        entries.append(TranscriptEntry(
            key=row["id"],
            author=row["author"],
            text=row["text"],
            created_at=row["created_at"],
            delivery="sent" if row["author"] == "agent" else None,
            seq=row["seq"],
            system_event=event,
            private=bool(row["private"]),
            attachments=attachments_from_json(row["attachments"]),
        ))
        if row["reason"] is not None:
            entries.append(override_line(row["id"], row, row["seq"]))
    for row in conn.execute(PENDING_ITEMS, (chat_id,)):
        body = json.loads(row["body"])
        delivery = "rejected" if row["state"] == "rejected" else "sending"
        if row["kind"] == "action":
            to, note = body.get("to", ""), body.get("note", "")
            entries.append(TranscriptEntry(
                key=row["idempotency_key"], author="system", text=transfer_text(to, note),
                created_at=row["created_at"], delivery=delivery, system_event=("transfer", to, note),
            ))
            continue
        entries.append(TranscriptEntry(
            key=row["idempotency_key"],
            author="agent",
            text=body["text"],
            created_at=row["created_at"],
            delivery=delivery,
            error=row["last_error"] or "" if delivery == "rejected" else "",
            private=body.get("private") is True,
        ))
        if row["reason"] is not None and delivery != "rejected":
            entries.append(override_line(row["idempotency_key"], row, 0))
    return entries


def transfer_text(to: str, note: str) -> str:
    # As the reference backend words the line it records (docs/api.md).
    return f"Transferred to {to}: {note}" if note else f"Transferred to {to}"


def override_line(message_key: str, row: sqlite3.Row, seq: int) -> TranscriptEntry:
    rules = ", ".join(dict.fromkeys(finding.get("rule", "?") for finding in json.loads(row["findings"])))
    return TranscriptEntry(
        key=f"override:{message_key}", author="system", text=f"Sent despite {rules}: {row['reason']}",
        created_at=row["created_at"], delivery=None, seq=seq, system_event=("override", rules, row["reason"]),
    )
