"""Quick-reply search, per keystroke, over a generated library.

Builds a library of N entries (default 100,000; half Chinese, half English; titles of 4-16 characters, bodies
of 30-120), then types 20 queries character by character (Chinese, full pinyin, initials, English with
typos, AND terms) and times each keystroke's indexed search. Also measured: the cold build, the warm start
from the on-disk cache, the index's memory, and how often its top 20 differ from the exact scan's (sampled).
Same-run baselines over the same entries and queries: rapidfuzz `process.extract` with WRatio, and Textual's
fuzzy Matcher over every entry (sampled).

Usage: python benchmarks/search.py [--entries 100000] [--baseline-sample 3]
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.percentiles import p99  # noqa: E402
from quick_replies import search_index_cache  # noqa: E402
from quick_replies.library import FaqEntry, Library, QuickReply  # noqa: E402
from quick_replies.search import documents, search  # noqa: E402
from quick_replies.search_index import SearchIndex  # noqa: E402

ZH_WORDS = (
    "退款 物流 快递 发货 订单 地址 修改 售后 退货 换货 质量 问题 补发 优惠券 会员 积分 发票 支付 扣款 还款 "
    "分期 银行 账号 登录 密码 验证 安卓 苹果 无法 失败 延迟 催件 签收 驿站 取件 尺码 颜色 库存 预售 价格 "
    "保价 赠品 包装 破损 照片 凭证 审核 到账 原路 工作日 客服 处理 查询 核实 补偿 投诉 建议 满意 评价"
).split()
ZH_GLUE = list("的了在是我您请已将可和与及或为把被")
EN_WORDS = (
    "refund order delivery address change return exchange quality issue resend coupon member points invoice "
    "payment charge account login password verify android iphone cannot failed delay tracking parcel pickup "
    "size color stock price discount gift package damaged photo proof review business days support process "
    "check confirm compensation complaint suggestion satisfied rating shipping international customs cancel"
).split()
QUERIES = [
    "退款", "物流延迟", "无法登录+安卓", "发票", "tuikuan", "wuliu", "fahuo", "huankuan", "chongfu",
    "tk", "wl", "fh", "dz", "refnd", "adress", "delivry", "cancel ordr", "international shiping",
    "退k", "coupon",
]


def generate(count: int, seed: int = 7) -> Library:
    rng = random.Random(seed)
    library = Library()
    for n in range(count):
        if n % 2 == 0:
            title = "".join(rng.choice(ZH_WORDS) for _ in range(rng.randint(2, 5)))[:16]
            body = ""
            while len(body) < rng.randint(30, 120):
                body += rng.choice(ZH_WORDS) + rng.choice(ZH_GLUE)
            language = "zh"
        else:
            title = " ".join(rng.choice(EN_WORDS) for _ in range(rng.randint(1, 3))).capitalize()[:16]
            body = " ".join(rng.choice(EN_WORDS) for _ in range(rng.randint(6, 20))).capitalize() + "."
            language = "en"
        if n % 10 == 9:
            library.faqs.append(FaqEntry(title + "?", body, (rng.choice(ZH_WORDS + EN_WORDS),), "faq"))
        else:
            shortcut = f"s{n}" if n % 7 == 0 else ""
            library.replies[f"r{n}"] = QuickReply(f"r{n}", title, body, f"folder{n % 20}", language, shortcut,
                                                  (rng.choice(ZH_WORDS + EN_WORDS),))
    return library


def keystrokes(query: str) -> list[str]:
    return [query[: i + 1] for i in range(len(query))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--baseline-sample", type=int, default=3, help="queries timed for each baseline")
    parser.add_argument("--scan-sample", type=int, default=3, help="keystrokes timed for the exact scan")
    args = parser.parse_args()

    library = generate(args.entries)
    started = time.perf_counter()
    docs = documents(library)
    documents_s = time.perf_counter() - started
    started = time.perf_counter()
    SearchIndex.build(docs)
    index_build_s = time.perf_counter() - started
    tracemalloc.start()  # a second build, traced: tracing slows numpy's allocations down several times
    index = SearchIndex.build(docs)
    index_mb = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    del index

    # The console names its library by its files' paths, sizes and times; without such a name the cache
    # is matched by a hash of every text. Both are timed; each includes making the documents again.
    source = "generated library, seed 7"
    with tempfile.TemporaryDirectory() as cache_dir:
        started = time.perf_counter()
        search_index_cache.load_or_build(documents(library), Path(cache_dir), source)  # cold: builds, writes
        cold_with_save_s = time.perf_counter() - started
        cache_mb = (Path(cache_dir) / search_index_cache.FILE_NAME).stat().st_size / 2**20
        started = time.perf_counter()
        index = search_index_cache.load_or_build(documents(library), Path(cache_dir), source)
        build_warm_s = time.perf_counter() - started
        search_index_cache.load_or_build(docs, Path(cache_dir))  # writes the cache under the content hash
        started = time.perf_counter()
        search_index_cache.load_or_build(documents(library), Path(cache_dir))
        build_warm_hashed_s = time.perf_counter() - started

    gc.freeze()  # as the console does once the library is loaded: see console/reply_library.py
    typed = [prefix for query in QUERIES for prefix in keystrokes(query)]
    timings = []
    for text in typed:
        started = time.perf_counter()
        index.search(text, limit=20)
        timings.append((time.perf_counter() - started) * 1000)

    # With no per-tier or overall limit the index answers exactly as a scan of every entry (the tests check
    # this); compare every keystroke's top 20 with that, and time the scan itself on a few.
    differing = 0
    for text in typed:
        exact = index.search(text, limit=20, per_tier=10**9, budget=10**9)
        fast = index.search(text, limit=20)
        differing += [round(h.score, 6) for h in exact] != [round(h.score, 6) for h in fast]
    scan_times = []
    for text in typed[:: max(1, len(typed) // args.scan_sample)]:
        started = time.perf_counter()
        search(docs, text, limit=20)
        scan_times.append((time.perf_counter() - started) * 1000)

    from rapidfuzz import fuzz, process
    from textual.fuzzy import Matcher

    choices = [f"{d.title} {d.body}" for d in docs]
    baseline_queries = QUERIES[: args.baseline_sample]
    rapid, textual_times = [], []
    for query in baseline_queries:
        started = time.perf_counter()
        process.extract(query, choices, scorer=fuzz.WRatio, limit=20)
        rapid.append((time.perf_counter() - started) * 1000)
        matcher = Matcher(query)
        started = time.perf_counter()
        for choice in choices:
            matcher.match(choice)
        textual_times.append((time.perf_counter() - started) * 1000)

    figures = {
        "entries": args.entries,
        "keystrokes": len(timings),
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(p99(timings), 2),
        "max_ms": round(max(timings), 2),
        "build_cold_s": round(documents_s + index_build_s, 2),
        "build_cold_with_cache_write_s": round(cold_with_save_s, 2),
        "build_warm_s": round(build_warm_s, 2),
        "build_warm_hashed_s": round(build_warm_hashed_s, 2),
        "index_mb": round(index_mb, 1),
        "cache_file_mb": round(cache_mb, 1),
        "exact_scan_p99_ms": round(p99(scan_times), 1),
        "differing_from_exact": f"{differing}/{len(typed)}",
        "baseline_rapidfuzz_p99_ms": round(p99(rapid), 1),
        "baseline_textual_p99_ms": round(p99(textual_times), 1),
        "baseline_sample_queries": len(baseline_queries),
    }
    print(f"{args.entries} entries, {len(timings)} keystrokes over {len(QUERIES)} queries")
    print(f"indexed search per keystroke: p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, "
          f"max {figures['max_ms']} ms")
    print(f"cold: documents {documents_s:.2f} s + index {index_build_s:.2f} s = {figures['build_cold_s']} s "
          f"({figures['build_cold_with_cache_write_s']} s with writing the cache); "
          f"warm from the cache: {figures['build_warm_s']} s as the console starts (cache named by the library's "
          f"files), {figures['build_warm_hashed_s']} s when matched by hashing every text")
    print(f"index {figures['index_mb']} MB in memory (tracemalloc), cache file {figures['cache_file_mb']} MB")
    print(f"exact scan over every entry (the same scoring, unindexed): p99 {figures['exact_scan_p99_ms']} ms over "
          f"{len(scan_times)} keystrokes; keystrokes whose top-20 scores differ from the exact answer: "
          f"{figures['differing_from_exact']}")
    print(f"baselines over the same entries ({len(baseline_queries)} queries): rapidfuzz WRatio p99 "
          f"{figures['baseline_rapidfuzz_p99_ms']} ms, textual Matcher p99 {figures['baseline_textual_p99_ms']} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
