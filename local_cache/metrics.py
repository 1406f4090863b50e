"""Today's figures for the metrics screen, from the local cache: chats, first response, SLA breaches, handling.

Computed on demand from the messages of today (a day's traffic is thousands of rows, read in milliseconds), so
nothing extra is stored and the figures work offline. Times are the server's, as the transcript shows them.
"""

from __future__ import annotations

import sqlite3
import statistics
from dataclasses import dataclass, field

from local_cache.models import ChatSummary
from local_cache.sla import DEFAULT_LIMITS, SlaPolicy, effective_priority


@dataclass(frozen=True)
class DayMetrics:
    chats: int
    median_first_response: float | None  # seconds from a chat's first customer message to the first reply
    reply_breaches: int  # customer waits longer than the first-response limit (answered late, or still waiting)
    handling_breaches: int  # chats open longer than their priority allows (closed late, or still open)
    average_handling: float | None  # seconds from opened to closed, over the chats closed today
    chats_by_hour: list[int] = field(default_factory=list)  # 24 values each
    breaches_by_hour: list[int] = field(default_factory=list)
    first_response_by_hour: list[float] = field(default_factory=list)  # median per hour, 0 where none


def day_metrics(conn: sqlite3.Connection, day_start: float, now: float, policy: SlaPolicy,
                chats: dict[str, ChatSummary]) -> DayMetrics:
    def hour(at: float) -> int:
        return min(23, max(0, int((at - day_start) // 3600)))

    chats_by_hour, breaches_by_hour = [0] * 24, [0] * 24
    responses_by_hour: list[list[float]] = [[] for _ in range(24)]
    first_responses: list[float] = []
    reply_breaches = handling_breaches = 0
    rows = conn.execute(
        "SELECT c.id, c.created_at, c.updated_at, c.state, m.author, m.created_at AS at FROM chats c "
        "LEFT JOIN messages m ON m.chat_id = c.id AND m.created_at >= ? AND m.private = 0 "
        "WHERE c.created_at >= ? OR c.updated_at >= ? ORDER BY c.id, m.seq",
        (day_start, day_start, day_start),
    ).fetchall()
    by_chat: dict[str, list[sqlite3.Row]] = {}
    for row in rows:
        by_chat.setdefault(row["id"], []).append(row)
    handled: list[float] = []
    for chat_id, chat_rows in by_chat.items():
        first = chat_rows[0]
        opened_today = first["created_at"] >= day_start
        if opened_today:
            chats_by_hour[hour(first["created_at"])] += 1
        waiting_since = None
        answered_once = False
        for row in chat_rows:
            if row["author"] == "customer" and waiting_since is None:
                waiting_since = row["at"]
            elif row["author"] == "agent" and waiting_since is not None:
                waited = row["at"] - waiting_since
                if not answered_once and opened_today:
                    first_responses.append(waited)
                    responses_by_hour[hour(waiting_since)].append(waited)
                answered_once = True
                if waited > policy.first_response:
                    reply_breaches += 1
                    breaches_by_hour[hour(waiting_since)] += 1
                waiting_since = None
        if waiting_since is not None and first["state"] != "closed" and now - waiting_since > policy.first_response:
            reply_breaches += 1
            breaches_by_hour[hour(waiting_since)] += 1
        summary = chats.get(chat_id)
        priority = effective_priority(summary) if summary else "normal"
        limit = policy.limits.get(priority, DEFAULT_LIMITS[priority])
        opened = summary.opened_at if summary else first["created_at"]
        ended = first["updated_at"] if first["state"] == "closed" else now
        if first["state"] == "closed" and first["updated_at"] >= day_start:
            handled.append(first["updated_at"] - opened)
        if first["state"] in ("opened", "in_progress", "closed") and ended - opened > limit and ended >= day_start:
            handling_breaches += 1
            breaches_by_hour[hour(max(day_start, opened + limit))] += 1
    return DayMetrics(
        chats=sum(chats_by_hour),
        median_first_response=statistics.median(first_responses) if first_responses else None,
        reply_breaches=reply_breaches,
        handling_breaches=handling_breaches,
        average_handling=statistics.fmean(handled) if handled else None,
        chats_by_hour=chats_by_hour,
        breaches_by_hour=breaches_by_hour,
        first_response_by_hour=[statistics.median(values) if values else 0.0 for values in responses_by_hour],
    )
