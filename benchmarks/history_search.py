"""History search, measured: query latency over a real store of 200,000 messages, the index's size, and what
the index costs the outbox's enqueue and the feed's catch-up (the same store with and without it, same run).

  - store: 2,000 chats of 100 messages each (Chinese and English, customer and agent, 5 to 200 characters, order
    numbers and phone numbers in some), written through store.chats.apply_changes as the feed writes them;
  - queries through store.history.search(limit=50), each kind several terms, each term run --repeats times:
    a Chinese phrase of 3+ characters, an English word (any case), an order-number fragment, a 2-character
    Chinese word (common: 退款; rare: in a few messages only), a single character, a term found nowhere;
  - writes: benchmarks/outbox.py's measure_enqueue and measure_catchup into copies of that store, one with the
    index (triggers and all) and one with it dropped, alternating twice; and the store write inside catch-up
    (one incoming message through store.chats.apply_changes) alternating between the two copies message by
    message. Enqueue never touches `messages`: its difference is the machine's noise, a yardstick for the rest.
    A write only notes a message as pending (migration 12); the index takes it when the feed is quiet or a
    search needs it. So the store is indexed whole after it is built, and a search right after the upserts
    (all of them pending) is timed on its own.

Usage: python benchmarks/history_search.py [--messages 200000] [--repeats 20] [--enqueues 1000] [--catchups 150]
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.outbox import measure_catchup, measure_enqueue  # noqa: E402
from benchmarks.percentiles import p99  # noqa: E402
from local_cache.database import MIGRATIONS, statements  # noqa: E402
from local_cache.models import RemoteChat, RemoteMessage  # noqa: E402
from local_cache.store import LocalStore  # noqa: E402
from tests.reference_backend import ReferenceBackend  # noqa: E402

CUSTOMER_ZH = ["您好，我的快递怎么还没到", "订单号{order}，一直显示运输中", "我要退款", "东西收到了，外包装破损",
               "可以换货吗？尺码大了", "发票怎么开", "什么时候发货呀", "质量太差了，申请退货",
               "照片已经拍好了，你们看一下", "地址填错了，能改吗", "优惠券用不了", "我的手机号{phone}",
               "客服在吗", "这个颜色有现货吗", "物流信息三天没更新了", "收到的商品和描述不符"]
AGENT_ZH = ["您好，很高兴为您服务，请问有什么可以帮您？", "已为您查询到订单{order}，包裹预计明天送达，请注意查收。",
            "非常抱歉给您带来不便，我们会为您申请退款，预计1-3个工作日原路退回。",
            "麻烦您提供一下商品破损的照片，我们核实后马上为您处理。", "请稍等，正在为您查询物流信息。",
            "您的换货申请已提交，快递员会在48小时内上门取件。", "感谢您的耐心等待，还有其他可以帮您的吗？"]
ENGLISH = ["Hi, where is my parcel? Order {order} still says in transit.",
           "I would like a refund for the damaged item, the box was crushed.",
           "Thanks for waiting. Your refund has been approved and will arrive within 3-5 business days.",
           "Can I change the delivery address to my office?", "The tracking number does not work on the carrier site.",
           "Sorry for the trouble! I have escalated this to our logistics team and will update you today.",
           "Is the blue one back in stock?", "Please send a photo of the label so we can check the batch."]
RARE_2 = "蜗牛"  # put in a few messages only: a 2-character query that must scan the whole store

QUERIES = {
    "zh_phrase": ["申请退款", "外包装破损", "物流信息", "上门取件", "预计明天送达"],
    "en_word": ["refund", "PARCEL", "Escalated", "carrier", "stock"],
    "order_fragment": ["DD2026112", "0553", "DD20261", "26110"],
    "zh_2char_common": ["退款", "快递", "发票"],
    "zh_2char_rare": [RARE_2],
    "one_char": ["您", "e", "1"],
    "absent": ["没有这句话", "zebra crossing", "Z"],
}


def message_text(rng: random.Random, author: str) -> str:
    pool = rng.choice([ENGLISH] * 1 + [CUSTOMER_ZH if author == "customer" else AGENT_ZH] * 3)
    parts = [rng.choice(pool) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
    text = ("" if pool is not ENGLISH else " ").join(parts)
    if rng.random() < 0.0002:
        text += f"，像{RARE_2}一样慢"
    return text.format(order=f"DD2026{rng.randrange(10**7):07d}",
                       phone=f"13{rng.randrange(3, 10)}{rng.randrange(10**8):08d}")


def build_store(path: Path, count: int) -> float:
    rng = random.Random(17)
    store = LocalStore(path)
    started = time.perf_counter()
    per_chat, t0 = 100, 1_760_000_000.0
    for first in range(0, count, per_chat):
        chat_id = f"ch_{first // per_chat}"
        chat = RemoteChat(chat_id, f"客户{first // per_chat}", "", False, "web",
                          "closed" if rng.random() < 0.8 else "opened", "normal", t0 + first, t0 + first)
        messages = []
        for n in range(min(per_chat, count - first)):
            author = "customer" if n % 2 == 0 else "agent"
            messages.append(RemoteMessage(f"m_{first + n}", chat_id, n + 1, author, message_text(rng, author),
                                          t0 + (first + n) * 5 + rng.random()))
        store.chats.apply_changes([chat], messages)
    store.history.index_pending()  # as the sync engine does while the feed is quiet (migration 12)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed


def index_mb(path: Path) -> float:
    conn = sqlite3.connect(path)
    try:
        pages = conn.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'message_search%' "
                             "OR name = 'messages_by_time'").fetchone()[0]
    finally:
        conn.close()
    return round((pages or 0) / 1e6, 1)


def drop_index(path: Path) -> None:
    """The store as it was before migrations 11 and 12 (the version number stays: nothing re-creates it)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in ("DROP TRIGGER message_search_insert", "DROP TRIGGER message_search_delete",
                      "DROP TRIGGER message_search_update", "DROP TABLE message_search",
                      "DROP TABLE message_search_pending",
                      "DROP INDEX messages_by_time", "VACUUM"):
        conn.execute(statement)
    conn.close()


def measure_queries(path: Path, repeats: int) -> tuple[dict[str, list[float]], dict[str, int]]:
    store = LocalStore(path)
    times: dict[str, list[float]] = {kind: [] for kind in QUERIES}
    found: dict[str, int] = {}
    for _ in range(repeats):
        for kind, terms in QUERIES.items():
            for term in terms:
                started = time.perf_counter()
                hits = store.history.search(term, limit=50)
                times[kind].append((time.perf_counter() - started) * 1000)
                found[term] = len(hits)
    store.close()
    return times, found


def measure_writes(workdir: Path, store_path: Path, enqueues: int, catchups: int) -> dict[str, dict[str, list]]:
    variants = {"with_index": store_path, "without_index": workdir / "without.sqlite3"}
    shutil.copy(store_path, variants["without_index"])
    drop_index(variants["without_index"])
    figures = {name: {"enqueue": [], "catchup": []} for name in variants}
    for round_ in range(2):
        for name, source in variants.items():
            folder = workdir / f"{name}-{round_}"
            folder.mkdir()
            shutil.copy(source, folder / "enqueue.sqlite3")
            shutil.copy(source, folder / "catchup.sqlite3")
            enqueue, _ = measure_enqueue(folder, enqueues)
            backend = ReferenceBackend(folder / "backend.sqlite3").start()
            try:
                catchup = measure_catchup(folder, backend, catchups)
            finally:
                backend.stop()
            figures[name]["enqueue"] += enqueue
            figures[name]["catchup"] += catchup
    return figures


def index_on_write(path: Path) -> None:
    """The store as migration 11 left it: each write tokenizes its message (the design migration 12 replaced)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for name in ("insert", "delete", "update"):
        conn.execute(f"DROP TRIGGER message_search_{name}")
    for statement in statements(MIGRATIONS[10]):
        if statement.lstrip().startswith("CREATE TRIGGER"):
            conn.execute(statement)
    conn.close()


def measure_upserts(workdir: Path, count: int) -> dict[str, list[float]]:
    """The write catch-up makes (one incoming message, one transaction), alternating between the copies message by
    message so that the disk's and the machine's ups and downs fall on all alike. The third copy indexes on write,
    as migration 11 did: the same-run baseline for migration 12's pending list."""
    shutil.copy(workdir / "with_index-0" / "catchup.sqlite3", workdir / "index_on_write.sqlite3")
    index_on_write(workdir / "index_on_write.sqlite3")
    stores = {name: LocalStore(workdir / f"{name}-0" / "catchup.sqlite3") for name in ("with_index", "without_index")}
    stores["index_on_write"] = LocalStore(workdir / "index_on_write.sqlite3")
    chat = RemoteChat("ch_upsert", "林小雨", "", False, "app", "opened", "normal", 0.0, 0.0)
    times: dict[str, list[float]] = {name: [] for name in stores}
    for n in range(count):
        for name, store in stores.items():
            started = time.perf_counter()
            store.chats.apply_changes([chat], [RemoteMessage(f"u{n}", "ch_upsert", n + 1, "customer",
                                                             f"第{n}条消息：我要退款，订单DD2026{n:07d}", 2e9 + n)])
            times[name].append((time.perf_counter() - started) * 1000)
    # Those messages wait to be indexed (the engine does it when the feed is quiet): a search right now does it.
    started = time.perf_counter()
    hits = stores["with_index"].history.search("我要退款", limit=50)
    times["search_after_new"] = [(time.perf_counter() - started) * 1000]
    assert len(hits) == 50, "the new messages are found"
    for store in stores.values():
        store.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--enqueues", type=int, default=1000)
    parser.add_argument("--catchups", type=int, default=150)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="agent-console-history-bench-"))
    store_path = workdir / "store.sqlite3"
    build_s = build_store(store_path, args.messages)
    times, found = measure_queries(store_path, args.repeats)
    writes = measure_writes(workdir, store_path, args.enqueues, args.catchups)
    upserts = measure_upserts(workdir, args.catchups * 4)
    every = [t for kind in times.values() for t in kind]

    def ms(values: list[float], name: str) -> dict:
        return {f"{name}_p50_ms": round(statistics.median(values), 3), f"{name}_p99_ms": round(p99(values), 3)}

    figures = {"messages": args.messages, "queries": len(every), "p50_ms": round(statistics.median(every), 2),
               "p99_ms": round(p99(every), 2), "index_mb": index_mb(store_path),
               "store_mb": round(store_path.stat().st_size / 1e6, 1), "build_s": round(build_s, 1)}
    for kind, values in times.items():
        figures |= ms(values, kind)
    for name, measured in writes.items():
        figures |= ms(measured["enqueue"], f"enqueue_{name}") | ms(measured["catchup"], f"catchup_{name}")
        figures |= ms(upserts[name], f"upsert_{name}")
    figures |= ms(upserts["index_on_write"], "upsert_index_on_write")
    for what in ("enqueue", "catchup", "upsert"):
        for stat in ("p50", "p99"):
            base = figures[f"{what}_without_index_{stat}_ms"]
            with_index = figures[f"{what}_with_index_{stat}_ms"]
            figures[f"{what}_{stat}_index_cost_pct"] = round(100 * (with_index / base - 1), 1)
    figures["search_after_new_ms"] = round(upserts["search_after_new"][0], 1)
    figures["hits"] = found

    print(f"store: {args.messages} messages, {figures['store_mb']} MB, written in {figures['build_s']} s; "
          f"index {figures['index_mb']} MB")
    print(f"all queries ({len(every)}): p50 {figures['p50_ms']} ms  p99 {figures['p99_ms']} ms  (target p99 <= 50 ms)")
    for kind in QUERIES:
        print(f"  {kind:16} p50 {figures[kind + '_p50_ms']:8} ms  p99 {figures[kind + '_p99_ms']:8} ms")
    for what in ("enqueue", "catchup", "upsert"):
        print(f"{what}: with index p50 {figures[f'{what}_with_index_p50_ms']} / p99 "
              f"{figures[f'{what}_with_index_p99_ms']} ms; without (same run, same store) p50 "
              f"{figures[f'{what}_without_index_p50_ms']} / p99 {figures[f'{what}_without_index_p99_ms']} ms; "
              f"cost {figures[f'{what}_p50_index_cost_pct']}% / {figures[f'{what}_p99_index_cost_pct']}% "
              "(target <= 20%)")
    print(f"upsert indexing on write (migration 11, same run): p50 {figures['upsert_index_on_write_p50_ms']} / p99 "
          f"{figures['upsert_index_on_write_p99_ms']} ms")
    print(f"a search right after {args.catchups * 4} new messages (it indexes them first): "
          f"{figures['search_after_new_ms']} ms")
    print(json.dumps(figures, ensure_ascii=False))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
