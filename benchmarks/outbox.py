"""The outbox's costs, measured: enqueue vs a raw SQLite commit, drain rate, catch-up latency.

  - enqueue: store.outbox.enqueue_message (WAL, synchronous=FULL, BEGIN IMMEDIATE, key created in the same
    transaction), against the same-run baseline of a raw sqlite3 INSERT + COMMIT of the same row into a table
    of the same shape, also WAL + FULL;
  - drain: a backlog of 10,000 messages over 10 chats pushed to the reference backend on 127.0.0.1 by the sync
    engine (batches of up to 100), from the first push to an empty outbox;
  - catch-up: a customer message accepted by the backend -> committed in the agent's local store, while
    online (long-poll change feed, engine on its own thread as in the console).

Usage: python benchmarks/outbox.py [--enqueues 2000] [--backlog 10000] [--catchups 200]
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.percentiles import p99  # noqa: E402
from console.background_sync import BackgroundSync  # noqa: E402
from local_cache.database import MIGRATIONS  # noqa: E402
from local_cache.reference_client import ReferenceApiClient  # noqa: E402
from local_cache.store import LocalStore  # noqa: E402
from local_cache.sync_engine import SyncEngine  # noqa: E402
from tests.reference_backend import ReferenceBackend  # noqa: E402

TEXT = "您好，已为您查询到订单，包裹预计明天送达，请注意查收。"


def measure_enqueue(workdir: Path, count: int) -> tuple[list[float], list[float]]:
    store = LocalStore(workdir / "enqueue.sqlite3")
    enqueue = []
    for _ in range(count):
        started = time.perf_counter()
        store.outbox.enqueue_message("ch_1", TEXT)
        enqueue.append((time.perf_counter() - started) * 1000)
    store.close()

    raw = sqlite3.connect(workdir / "raw.sqlite3", isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    for statement in MIGRATIONS[0].split(";"):
        if "outbox" in statement and statement.strip():
            raw.execute(statement)
    body = json.dumps({"text": TEXT}, ensure_ascii=False)
    commits = []
    for _ in range(count):
        started = time.perf_counter()
        raw.execute("BEGIN")
        raw.execute(
            "INSERT INTO outbox (idempotency_key, chat_id, kind, body, created_at) VALUES (?,?,?,?,?)",
            (str(uuid.uuid4()), "ch_1", "message", body, time.time()),
        )
        raw.execute("COMMIT")
        commits.append((time.perf_counter() - started) * 1000)
    raw.close()
    return enqueue, commits


def measure_drain(workdir: Path, backend: ReferenceBackend, backlog: int) -> float:
    chats = [backend.open_chat(f"客户{n}") for n in range(10)]
    path = workdir / "drain.sqlite3"

    def engine() -> SyncEngine:
        return SyncEngine(lambda: LocalStore(path), lambda: ReferenceApiClient(backend.url, backend.token))

    asyncio.run(engine().sync_once())  # the chats are known locally, as in real use
    store = LocalStore(path)
    for n in range(backlog):
        store.outbox.enqueue_message(chats[n % len(chats)], f"{n} {TEXT}")
    started = time.perf_counter()
    report = asyncio.run(engine().sync_once(drain_for=600))
    elapsed = time.perf_counter() - started
    assert report.waiting == 0 and report.sent == backlog, report
    store.close()
    return backlog / elapsed


def measure_catchup(workdir: Path, backend: ReferenceBackend, count: int) -> list[float]:
    chat_id = backend.open_chat("林小雨", "app")
    arrived = threading.Event()
    engine = SyncEngine(
        lambda: LocalStore(workdir / "catchup.sqlite3"),
        lambda: ReferenceApiClient(backend.url, backend.token),
        on_change=lambda chat_ids: arrived.set(),
    )
    sync = BackgroundSync(engine)
    sync.start()
    arrived.wait(10)
    latencies = []
    for n in range(count):
        arrived.clear()
        started = time.perf_counter()
        backend.customer_says(chat_id, f"第{n}条消息")
        if not arrived.wait(10):
            raise SystemExit(f"message {n} did not arrive within 10 s")
        latencies.append((time.perf_counter() - started) * 1000)
    sync.stop()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enqueues", type=int, default=2000)
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--catchups", type=int, default=200)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="agent-console-outbox-bench-"))
    enqueue, commits = measure_enqueue(workdir, args.enqueues)
    backend = ReferenceBackend(workdir / "backend.sqlite3").start()
    try:
        drain_rate = measure_drain(workdir, backend, args.backlog)
        catchup = measure_catchup(workdir, backend, args.catchups)
    finally:
        backend.stop()

    figures = {
        "enqueues": args.enqueues,
        "enqueue_p50_ms": round(statistics.median(enqueue), 3),
        "enqueue_p99_ms": round(p99(enqueue), 3),
        "raw_commit_p50_ms": round(statistics.median(commits), 3),
        "raw_commit_p99_ms": round(p99(commits), 3),
        "backlog": args.backlog,
        "drain_msgs_per_s": round(drain_rate),
        "catchups": args.catchups,
        "catchup_p50_ms": round(statistics.median(catchup), 2),
        "catchup_p99_ms": round(p99(catchup), 2),
    }
    print(f"enqueue (LocalStore):        p50 {figures['enqueue_p50_ms']} ms  p99 {figures['enqueue_p99_ms']} ms")
    print(f"baseline raw INSERT+COMMIT:  p50 {figures['raw_commit_p50_ms']} ms  p99 {figures['raw_commit_p99_ms']} ms"
          f"  (WAL + synchronous=FULL, same run)")
    print(f"drain of {args.backlog} messages to the reference backend: {figures['drain_msgs_per_s']} messages/s")
    print(f"catch-up, customer message -> local store: p50 {figures['catchup_p50_ms']} ms  "
          f"p99 {figures['catchup_p99_ms']} ms over {args.catchups}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
