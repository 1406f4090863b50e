"""Customer message -> in the agent's local store, through the long-poll change feed.

Starts a real reference backend on 127.0.0.1, runs the sync engine (as the console does, on its own thread
and loop), posts customer messages through the channel API one at a time and times each until the engine
has committed it to the local SQLite store. Same-run baseline: one plain authenticated GET round trip.

Usage: python benchmarks/feed_latency.py [--messages 100]
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from console.background_sync import BackgroundSync  # noqa: E402
from local_cache.reference_client import ReferenceApiClient  # noqa: E402
from local_cache.store import LocalStore  # noqa: E402
from local_cache.sync_engine import SyncEngine  # noqa: E402
from tests.reference_backend import AGENT_TOKEN, ReferenceBackend  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="agent-console-feed-"))
    backend = ReferenceBackend(workdir / "backend.sqlite3").start()
    try:
        chat_id = backend.open_chat("林小雨", "app")
        arrived = threading.Event()
        engine = SyncEngine(
            lambda: LocalStore(workdir / "agent.sqlite3"),
            lambda: ReferenceApiClient(backend.url, backend.token),
            on_change=lambda chat_ids: arrived.set(),
        )
        sync = BackgroundSync(engine)
        sync.start()
        arrived.wait(10)

        headers = {"Authorization": f"Bearer {AGENT_TOKEN}"}
        with httpx.Client(base_url=backend.url, headers=headers) as http:
            round_trips = []
            for _ in range(args.messages):
                started = time.perf_counter()
                http.get("/api/v1/me").raise_for_status()
                round_trips.append((time.perf_counter() - started) * 1000)

        latencies = []
        for n in range(args.messages):
            arrived.clear()
            started = time.perf_counter()
            backend.customer_says(chat_id, f"第{n}条消息")
            if not arrived.wait(10):
                raise SystemExit(f"message {n} did not arrive within 10 s")
            latencies.append((time.perf_counter() - started) * 1000)
        sync.stop()
    finally:
        backend.stop()

    figures = {
        "messages": args.messages,
        "feed_p50_ms": round(statistics.median(latencies), 2),
        "feed_p99_ms": round(percentile(latencies, 0.99), 2),
        "feed_max_ms": round(max(latencies), 2),
        "baseline_get_p50_ms": round(statistics.median(round_trips), 2),
        "baseline_get_p99_ms": round(percentile(round_trips, 0.99), 2),
    }
    print(f"customer message -> committed in the local store: p50 {figures['feed_p50_ms']} ms, "
          f"p99 {figures['feed_p99_ms']} ms, max {figures['feed_max_ms']} ms over {args.messages} messages")
    print(f"baseline, one authenticated GET round trip:        p50 {figures['baseline_get_p50_ms']} ms, "
          f"p99 {figures['baseline_get_p99_ms']} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
