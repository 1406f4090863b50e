"""Today's figures from a real local store: first response, breaches, handling time, per-hour series."""

from __future__ import annotations

from local_cache.models import RemoteChat, RemoteMessage
from local_cache.sla import SlaPolicy
from local_cache.store import LocalStore

DAY = 1_795_000_000.0 - 1_795_000_000.0 % 86400  # a midnight (UTC)


def chat(chat_id, opened, state="in_progress", updated=None, priority="normal"):
    return RemoteChat(chat_id, chat_id, "", False, "web", state, priority, opened, updated or opened)


def say(chat_id, seq, author, at):
    return RemoteMessage(f"{chat_id}-{seq}", chat_id, seq, author, "…", at)


def test_first_response_breaches_and_handling_of_a_day(tmp_path):
    store = LocalStore(tmp_path / "agent.sqlite3", clock=lambda: DAY + 5 * 3600)
    store.chats.apply_changes(
        [
            chat("fast", DAY + 3600, state="closed", updated=DAY + 3600 + 600),  # 01:00, closed after 10 min
            chat("slow", DAY + 3600 + 60),  # answered after 45 s: a reply breach
            chat("waiting", DAY + 4 * 3600, priority="urgent"),  # 04:00, urgent, still unanswered at 05:00
            chat("yesterday", DAY - 7200, state="closed", updated=DAY - 3600),  # not today's
        ],
        [
            say("fast", 1, "customer", DAY + 3600), say("fast", 2, "agent", DAY + 3600 + 10),
            say("slow", 1, "customer", DAY + 3600 + 60), say("slow", 2, "agent", DAY + 3600 + 105),
            say("slow", 3, "customer", DAY + 3600 + 200), say("slow", 4, "agent", DAY + 3600 + 210),
            say("waiting", 1, "customer", DAY + 4 * 3600),
            say("yesterday", 1, "customer", DAY - 7200),
        ],
    )
    chats = {summary.id: summary for summary in store.chats.summaries()}
    figures = store.chats.day_metrics(DAY, SlaPolicy(), chats)
    assert figures.chats == 3
    assert figures.median_first_response == 27.5  # 10 s and 45 s
    assert figures.reply_breaches == 2  # slow's 45 s, and waiting's hour without an answer
    # waiting: urgent (5 min) and open an hour; slow: normal (2 h), open since 01:01, breached at 03:01
    assert figures.handling_breaches == 2
    assert figures.average_handling == 600
    assert figures.chats_by_hour[1] == 2 and figures.chats_by_hour[4] == 1 and sum(figures.chats_by_hour) == 3
    assert figures.breaches_by_hour[1] == 1 and figures.breaches_by_hour[3] == 1 and figures.breaches_by_hour[4] == 2
    assert figures.first_response_by_hour[1] == 27.5


def test_an_empty_day_has_no_figures_rather_than_zeros(tmp_path):
    figures = LocalStore(tmp_path / "agent.sqlite3").chats.day_metrics(DAY, SlaPolicy(), {})
    assert (figures.chats, figures.median_first_response, figures.average_handling) == (0, None, None)


def test_a_restarted_simulator_adds_no_chats_to_the_days_figures(tmp_path):
    """The embedded default restarted three times on its database: today's figures count its customers once,
    and no chat counts as handled (the restarts closed nothing)."""
    import asyncio
    import time
    from datetime import datetime

    from local_cache.reference_client import ReferenceApiClient
    from tests.reference_backend import ReferenceBackend

    simulate = ("--simulate", "3", "--sim-pace", "0.01", "--sim-seed", "3")
    backend = ReferenceBackend(tmp_path / "backend.sqlite3", *simulate).start()
    try:
        store = LocalStore(tmp_path / "agent.sqlite3")

        async def sync() -> int:
            client = ReferenceApiClient(backend.url, backend.token)
            try:
                snapshot = await client.snapshot()
                messages = [m for chat in snapshot.chats for m in await client.messages_after(chat.id, 0)]
            finally:
                await client.aclose()
            store.chats.apply_changes(snapshot.chats, messages, snapshot.cursor)
            return len(snapshot.chats)

        deadline = time.monotonic() + 20
        while asyncio.run(sync()) < 3:
            assert time.monotonic() < deadline, "three simulated customers"
            time.sleep(0.05)
        for _ in range(3):
            backend.stop()
            backend = ReferenceBackend(tmp_path / "backend.sqlite3", *simulate).start()
            time.sleep(0.3)  # long enough for a restart to have closed or opened chats
            asyncio.run(sync())
        midnight = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        chats = {summary.id: summary for summary in store.chats.summaries()}
        figures = store.chats.day_metrics(midnight, SlaPolicy(), chats)
        assert (figures.chats, sum(figures.chats_by_hour)) == (3, 3)
        assert figures.average_handling is None, "no chat was closed, so none was handled"
        store.close()
    finally:
        backend.stop()
