"""Full collections run when the console is quiet, and at the latest every `at_most` seconds."""

from __future__ import annotations

import gc
import sys

import pytest

from console.app import AgentConsoleApp
from console.idle_collector import NEVER, IdleCollector
from local_cache.reference_client import ReferenceApiClient


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def full_collections() -> int:
    return gc.get_stats()[2]["collections"]


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="3.14's incremental collector is left alone")
def test_automatic_older_collections_are_off_while_it_runs_and_restored_after():
    before = gc.get_threshold()
    collector = IdleCollector(Clock())
    collector.start()
    try:
        assert gc.get_threshold() == (before[0], NEVER, NEVER)
    finally:
        collector.stop()
    assert gc.get_threshold() == before


def test_a_full_collection_waits_for_a_quiet_moment_but_not_forever():
    clock = Clock()
    collector = IdleCollector(clock, quiet=1.0, every=30.0, at_most=120.0)
    clock.now += 10
    assert not collector.tick(), "not due yet"
    clock.now += 25
    collector.activity()
    clock.now += 0.5
    assert not collector.tick(), "due, but the agent typed half a second ago"
    clock.now += 1
    before = full_collections()
    assert collector.tick() and full_collections() == before + 1, "quiet for 1.5 s: collected"
    assert not collector.tick(), "and not again at once"
    collected_at, forced_at = clock.now, None
    for _ in range(130):  # the agent never stops typing
        clock.now += 1
        collector.activity()
        if collector.tick():
            forced_at = clock.now
            break
    assert forced_at == collected_at + 120, "forced after at_most seconds"


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="3.14's incremental collector is left alone")
async def test_the_console_defers_older_collections_while_it_runs(tmp_path, reference_backend):
    before = gc.get_threshold()
    client = lambda: ReferenceApiClient(reference_backend.url, reference_backend.token)  # noqa: E731
    app = AgentConsoleApp(tmp_path / "agent.sqlite3", client, long_poll_wait=1.0)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert gc.get_threshold() == (before[0], NEVER, NEVER)
    assert gc.get_threshold() == before, "restored when the console closes"
