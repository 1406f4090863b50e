"""Are `gc.freeze()` and the deferred older-generation collections worth keeping? The console at scale (30 chats x
2,000 messages, a 100,000-entry team library reloaded while the agent types), once as shipped and once without
each measure, interleaved (A B C D E, E D C B A, ...) so that load from other processes falls on every variant.

Variants (each in its own process, on its own copy of the same local store):
  shipped               as the console runs
  no-transcript-freeze  console/transcript_reads.py's gc.freeze() after a long transcript is first read does nothing
  no-library-freeze     quick_replies/reply_library.py's gc.freeze() after a library is installed does nothing
  no-idle-collector     console/idle_collector.py leaves CPython's thresholds alone and never collects itself
  none                  all three removed

Each process, once the history is on screen: switches through every chat three times (the first pass reads each
transcript), takes 100 appends into the open 2,000-message chat and 200 keys, then types at 20 keys a second
while the team library reloads (a cold build in the app's worker), then 200 more keys and 100 more appends.
Printed per variant and run: p99 and max of switches, appends and keys (all keys together), every collection
CPython ran meanwhile (gc.callbacks): how many per generation and the longest, and what one full collection
(the idle collector's) takes before the reload and at the end (median of 5 each). Timings as in
benchmarks/ui_scale.py (key posted as the driver posts it -> screen updated).

Usage: python benchmarks/collector.py [--chats 30] [--messages 2000] [--reload-entries 100000] [--rounds 2]
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import ui_scale  # noqa: E402
from benchmarks.percentiles import p99  # noqa: E402

VARIANTS = ["shipped", "no-transcript-freeze", "no-library-freeze", "no-idle-collector", "none"]


def without_freeze(module) -> None:
    """The module's `gc.freeze()` does nothing; everything else in gc is the real one."""
    module.gc = types.SimpleNamespace(**{name: getattr(gc, name) for name in dir(gc) if not name.startswith("__")})
    module.gc.freeze = lambda: None


def apply_variant(variant: str) -> None:
    import console.transcript_reads
    import quick_replies.reply_library
    from console.idle_collector import IdleCollector

    if variant in ("no-transcript-freeze", "none"):
        without_freeze(console.transcript_reads)
    if variant in ("no-library-freeze", "none"):
        without_freeze(quick_replies.reply_library)
    if variant in ("no-idle-collector", "none"):
        IdleCollector.start = lambda self: None
        IdleCollector.tick = lambda self: False


class CollectionLog:
    """Every collection CPython runs, by generation, with its duration in ms."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = 0.0
        self.paused = False
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if self.paused:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses[info["generation"]].append((time.perf_counter() - self._started) * 1000)


def full_collection_ms() -> float:
    """What the idle collector's full collection costs now (median of 5)."""
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        gc.collect()
        samples.append((time.perf_counter() - started) * 1000)
    return round(sorted(samples)[2], 1)


async def typed_keys(pilot, count: int) -> list[float]:
    composer = pilot.app.desk.query_one("#composer")
    keys, text = [], "refund on its way 退款 "
    for number in range(count):
        if len(composer.text) > 200:
            composer.clear()
        character = text[number % len(text)]
        keys.append(await ui_scale.key_painted(pilot, {" ": "space"}.get(character, character), character))
    composer.clear()
    return keys


async def measure(store_path: Path, url: str, token: str, chats: int, staged: Path) -> dict:
    app = ui_scale.make_app(store_path, url, token)
    async with app.run_test(size=ui_scale.SIZE) as pilot:
        await ui_scale.wait_for(pilot, lambda: ui_scale.history_on_screen(app, chats))
        await pilot.pause(0.5)
        log = CollectionLog()
        switches = []
        for _ in range(3 * chats):
            switches.append(await ui_scale.key_painted(pilot, "alt+down"))
        big_chat = app.desk.current_chat_id
        app.sync.stop()  # from here the benchmark plays the sync engine, as ui_scale.py does
        appends = await ui_scale.timed_appends(app, pilot, big_chat, 100)
        keys = await typed_keys(pilot, 200)
        log.paused = True
        full_before_reload = full_collection_ms()  # every chat read, the library as it was at start
        log.paused = False
        reload_keys, reload_s = await ui_scale.keys_during_reload(app, pilot, staged, ui_scale.team_library(store_path))
        keys += reload_keys + await typed_keys(pilot, 200)
        appends += await ui_scale.timed_appends(app, pilot, big_chat, 100)
        gc.callbacks.remove(log._callback)
        figures = {"reload_s": round(reload_s, 1), "full_collection_before_reload_ms": full_before_reload}
        for name, samples in (("switch", switches), ("append", appends), ("key", keys)):
            figures[f"{name}_p99_ms"] = round(p99(samples), 1)
            figures[f"{name}_max_ms"] = round(max(samples), 1)
        for generation, pauses in log.pauses.items():
            figures[f"gen{generation}_collections"] = len(pauses)
            figures[f"gen{generation}_max_ms"] = round(max(pauses, default=0.0), 1)
        figures["frozen_objects"] = gc.get_freeze_count()
        figures["full_collection_ms"] = full_collection_ms()
        return figures


def child(variant: str, store_path: Path, url: str, token: str, chats: int, staged: Path) -> None:
    apply_variant(variant)
    figures = asyncio.run(measure(store_path, url, token, chats, staged))
    print(json.dumps(figures), flush=True)  # after the app: Textual captures print() while it runs


def run_child(variant: str, primed: Path, staged: Path, url: str, token: str, chats: int) -> dict:
    with tempfile.TemporaryDirectory() as directory:
        agent = Path(directory) / "agent"
        shutil.copytree(primed, agent)  # each run starts from the same store, and builds the library cold
        shutil.copytree(staged, Path(directory) / "staged")
        size = f"--size={ui_scale.SIZE[0]}x{ui_scale.SIZE[1]}"
        result = subprocess.run(
            [sys.executable, __file__, size, "--child", variant, str(agent / "agent.sqlite3"), url, token,
             str(chats), str(Path(directory) / "staged")],
            capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=1200)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{variant} failed: {result.stderr[-3000:]}")
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=30)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--size", default="160x50", help="terminal columns x lines (default 160x50)")
    parser.add_argument("--reload-entries", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2, help="times each variant runs, interleaved")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    ui_scale.SIZE = tuple(int(n) for n in args.size.split("x"))
    if args.child:
        variant, store, url, token, chats, staged = args.child
        child(variant, Path(store), url, token, int(chats), Path(staged))
        return

    from tests.reference_backend import ReferenceBackend

    variants = args.variants.split(",")
    results: dict[str, list[dict]] = {variant: [] for variant in variants}
    with tempfile.TemporaryDirectory() as directory:
        base = Path(directory)
        ui_scale.seed_backend(base / "backend.sqlite3", args.chats, args.messages)
        backend = ReferenceBackend(base / "backend.sqlite3").start()
        try:
            store_path = base / "agent" / "agent.sqlite3"
            asyncio.run(ui_scale.prime(store_path, backend.url, backend.token, args.chats, args.messages))
            staged = base / "staged-library"
            ui_scale.write_large_library(staged, args.reload_entries)
            for round_number in range(args.rounds):
                # Every other round in reverse order, so that load rising or falling over the run is shared.
                for variant in variants if round_number % 2 == 0 else variants[::-1]:
                    figures = run_child(variant, store_path.parent, staged, backend.url, backend.token, args.chats)
                    results[variant].append(figures)
                    print(f"round {round_number + 1} {variant:21} " + " ".join(f"{k}={v}" for k, v in figures.items()),
                          flush=True)
        finally:
            backend.stop()
    print(json.dumps({"chats": args.chats, "messages_per_chat": args.messages, "reload_entries": args.reload_entries,
                      "runs": results}))


if __name__ == "__main__":
    main()
