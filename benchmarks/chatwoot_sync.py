"""The sync engine on Chatwoot, measured against the fake Chatwoot, with the reference backend as the same-run
baseline: drain rate and catch-up latency.

  - drain: a backlog of messages over 10 chats pushed by the engine, from the first push to an empty outbox.
    Chatwoot takes one message per request (the reference API up to 100 per batch) and has no key to replay,
    so its figure is the price of exactly-once there. The fake's flood limit is lifted: it would measure
    Chatwoot's policy (200 a minute per conversation), not the console;
  - catch-up: a customer message accepted by the server -> committed in the agent's local store, while online
    (Chatwoot: its websocket rings for a poll; reference: the long-poll change feed).

Usage: python benchmarks/chatwoot_sync.py [--backlog 1000] [--catchups 100]
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.outbox import TEXT, measure_catchup, measure_drain  # noqa: E402
from benchmarks.percentiles import p99  # noqa: E402
from console.background_sync import BackgroundSync  # noqa: E402
from local_cache.chatwoot_address import chatwoot_account  # noqa: E402
from local_cache.chatwoot_client import ChatwootClient  # noqa: E402
from local_cache.store import LocalStore  # noqa: E402
from local_cache.sync_engine import SyncEngine  # noqa: E402
from tests.fake_chatwoot.control import FakeChatwoot  # noqa: E402
from tests.reference_backend import ReferenceBackend  # noqa: E402


def chatwoot_engine(chatwoot: FakeChatwoot, path: Path, **options) -> SyncEngine:
    account = chatwoot_account(chatwoot.console_url)
    return SyncEngine(lambda: LocalStore(path), lambda: ChatwootClient(account, chatwoot.token), **options)


def chatwoot_drain(workdir: Path, chatwoot: FakeChatwoot, backlog: int) -> float:
    chatwoot.set_flood_limit(10**9)
    chats = [str(chatwoot.add_conversation(chatwoot.add_contact(f"客户{n}"))) for n in range(10)]
    path = workdir / "chatwoot-drain.sqlite3"
    asyncio.run(chatwoot_engine(chatwoot, path).sync_once())  # the chats are known locally, as in real use
    store = LocalStore(path)
    for n in range(backlog):
        store.outbox.enqueue_message(chats[n % len(chats)], f"{n} {TEXT}")
    started = time.perf_counter()
    report = asyncio.run(chatwoot_engine(chatwoot, path).sync_once(drain_for=600))
    elapsed = time.perf_counter() - started
    assert report.waiting == 0 and report.sent == backlog, report
    store.close()
    return backlog / elapsed


def chatwoot_catchup(workdir: Path, chatwoot: FakeChatwoot, count: int) -> list[float]:
    conversation = chatwoot.add_conversation(chatwoot.add_contact("林小雨"))
    arrived = threading.Event()
    engine = chatwoot_engine(chatwoot, workdir / "chatwoot-catchup.sqlite3",
                             on_change=lambda chat_ids: arrived.set())
    sync = BackgroundSync(engine)
    sync.start()
    deadline = time.monotonic() + 20
    while not getattr(getattr(getattr(engine, "client", None), "cable", None), "connected", False):
        if time.monotonic() > deadline:
            raise SystemExit("the websocket did not connect within 20 s")
        time.sleep(0.05)
    latencies = []
    for n in range(count):
        arrived.clear()
        started = time.perf_counter()
        chatwoot.customer_says(conversation, f"第{n}条消息")
        if not arrived.wait(20):
            raise SystemExit(f"message {n} did not arrive within 20 s")
        latencies.append((time.perf_counter() - started) * 1000)
        time.sleep(0.05)  # customers write apart: each sample starts from a quiet feed
    sync.stop()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backlog", type=int, default=1000)
    parser.add_argument("--catchups", type=int, default=100)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="agent-console-chatwoot-bench-"))
    with FakeChatwoot() as chatwoot:
        drain = chatwoot_drain(workdir, chatwoot, args.backlog)
        catchup = chatwoot_catchup(workdir, chatwoot, args.catchups)
    backend = ReferenceBackend(workdir / "backend.sqlite3").start()
    try:
        baseline_drain = measure_drain(workdir, backend, args.backlog)
        baseline_catchup = measure_catchup(workdir, backend, args.catchups)
    finally:
        backend.stop()

    figures = {
        "backlog": args.backlog,
        "chatwoot_drain_msgs_per_s": round(drain),
        "reference_drain_msgs_per_s": round(baseline_drain),
        "catchups": args.catchups,
        "chatwoot_catchup_p50_ms": round(statistics.median(catchup), 2),
        "chatwoot_catchup_p99_ms": round(p99(catchup), 2),
        "reference_catchup_p50_ms": round(statistics.median(baseline_catchup), 2),
        "reference_catchup_p99_ms": round(p99(baseline_catchup), 2),
    }
    print(f"drain of {args.backlog} messages: Chatwoot (fake) {figures['chatwoot_drain_msgs_per_s']} messages/s; "
          f"reference backend {figures['reference_drain_msgs_per_s']} messages/s (same run)")
    print(f"catch-up, customer message -> local store over {args.catchups}: Chatwoot (fake, websocket) "
          f"p50 {figures['chatwoot_catchup_p50_ms']} ms p99 {figures['chatwoot_catchup_p99_ms']} ms; reference "
          f"p50 {figures['reference_catchup_p50_ms']} ms p99 {figures['reference_catchup_p99_ms']} ms (same run)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
