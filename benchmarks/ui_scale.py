"""The console at scale: 30 chats x 2,000 messages (mixed Chinese and English), headless.

Measures, in one run, against a real reference backend on 127.0.0.1 and a local store already holding that
history (an agent coming back to a full day):
  - startup_s: process launch -> first frame showing the chat list and the open chat's history (median of 3
    launches; baseline: launch -> first frame of an empty Textual app in the same run);
  - switch_p99_ms: alt+down -> the next chat's transcript, header and list painted (90 switches);
  - append_p99_ms: a customer message written to the store by sync -> the first frame handed to the terminal
    that shows it in the open chat, painted by the app's own screen-update timer (200 messages into a
    2,000-message chat, each from a settled screen; baseline: the same into a 20-message chat, same run);
  - keystroke_p99_ms: a key -> the composer updated and painted (200 keys);
  - rss_mb: the console process's resident memory at the end (before the reload below);
  - reload_keystroke_p99_ms: the same, typed at 20 keys a second while the quick-reply library reloads after a
    team library of --reload-entries (100,000) entries appeared in its folder (a cold build, in the app's
    worker), until the new library is in (reload_s).
For switches and keys, "painted": the key event was posted to the app as the driver posts it, every widget
has handled its events, then the screen's update ran (layout, compositor, output) synchronously. Pilot's
press() and pause() are not used for timing: they wait for the process to look idle, which adds tens of ms
of sleeping.

Usage: python benchmarks/ui_scale.py [--chats 30] [--messages 2000] [--reload-entries 100000]
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.store import BackendStore  # noqa: E402
from benchmarks.percentiles import p99  # noqa: E402
from local_cache.models import RemoteChat, RemoteMessage  # noqa: E402

SIZE = (160, 50)  # a maximised terminal on a laptop screen; --size changes it

ZH = ["您好，请问这款羽绒服还有M码吗？", "我的快递三天没动了，能帮我查一下吗", "好的，麻烦您了",
      "退款什么时候到账？已经申请了两天了", "这个价格可以再便宜一点吗，我买两件",
      "收到的杯子碎了，需要拍照给你们吗？订单号是 20261127-88812"]
EN = ["Hi, do you ship to Canada?", "My parcel hasn't moved in three days, can you check?", "Thanks a lot!",
      "When will the refund reach my card? I asked two days ago.",
      "Could you do a better price if I buy two? " * 3]
AGENT = ["您好，我马上为您查询，请稍等", "已经为您催促仓库，今天会发出", "Sure, let me check that for you.",
         "The refund was issued today; banks take 1-3 working days."]


def seed_backend(path: Path, chats: int, messages: int) -> None:
    rng = random.Random(7)
    store = BackendStore(path)
    start = time.time() - 3 * 86400
    for number in range(chats):
        chat = store.open_chat(f"客户{number:02d} Customer {number}", rng.choice(["web", "app", "wechat"]),
                               vip=number % 7 == 0, priority=rng.choice(["normal", "normal", "important"]),
                               at=start + number)
        at = start + number
        with store.transaction():  # one transaction per chat: seeding 60,000 rows one commit each is slow
            for index in range(messages):
                at += rng.uniform(1, 4)
                author = "customer" if index % 2 == 0 or index == messages - 1 else "agent"
                pool = (ZH if number % 2 else EN) if author == "customer" else AGENT
                store.add_message(chat["id"], author, rng.choice(pool), at=at)
    store.close()


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_app(store_path: Path, url: str, token: str):
    from console.app import AgentConsoleApp
    from local_cache.reference_client import ReferenceApiClient
    from quick_replies.library import STARTER_DIR

    # The team's folder is empty until the reload phase moves a large library into it.
    return AgentConsoleApp(store_path, lambda: ReferenceApiClient(url, token), long_poll_wait=5.0,
                           library_cache=store_path.parent / "cache",
                           library_dirs=[STARTER_DIR, team_library(store_path), store_path.parent / "library"])


def team_library(store_path: Path) -> Path:
    return store_path.parent / "team-library"


def write_large_library(directory: Path, entries: int) -> None:
    from benchmarks.search import generate, write_library

    write_library(generate(entries), directory)


async def wait_for(pilot, predicate, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition not reached")
        await pilot.pause(0.01)


def history_on_screen(app, chats: int) -> bool:
    return len(app.desk.chats) >= chats and len(app.desk.main_pane.transcript.plain_lines()) > 20


async def prime(store_path: Path, url: str, token: str, chats: int, messages: int) -> None:
    """Run the console once until the local store holds the whole history (not timed)."""
    app = make_app(store_path, url, token)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.store.conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
                       >= chats * messages)


def child_startup(store_path: Path, url: str, token: str, chats: int, launched: float) -> None:
    app = make_app(store_path, url, token)

    async def run() -> float:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: history_on_screen(app, chats))
            return time.time() - launched

    elapsed = asyncio.run(run())
    print(json.dumps({"startup_s": elapsed}), flush=True)  # after the app: Textual captures print() while it runs


def child_empty_app(launched: float) -> None:
    from textual.app import App
    from textual.widgets import Static

    class Empty(App):
        def compose(self):
            yield Static("ready")

    async def run() -> float:
        async with Empty().run_test() as pilot:
            await pilot.pause()
            return time.time() - launched

    print(json.dumps({"startup_s": asyncio.run(run())}), flush=True)


def launch_child(*args: str) -> float:
    size = f"--size={SIZE[0]}x{SIZE[1]}"
    result = subprocess.run([sys.executable, __file__, size, "--child", *args, str(time.time())], capture_output=True,
                            text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"startup child failed: {result.stderr[-2000:]}")
    return json.loads(lines[-1])["startup_s"]


async def painted(pilot) -> None:
    await pilot._wait_for_screen()
    pilot.app.screen._on_timer_update()


async def key_painted(pilot, key: str, character: str | None = None) -> float:
    """ms from a key arriving from the terminal to the screen updated."""
    from textual import events

    keys = pilot.app._keys  # the console hands keys to Textual one at a time (console/key_order.py)
    before = keys.dispatched
    started = time.perf_counter()
    event = events.Key(key, character)
    event.set_sender(pilot.app)
    pilot.app.post_message(event)
    while keys.dispatched == before:  # it may wait for the previous key to settle: that wait is part of the cost
        await asyncio.sleep(0)  # not painted(): its markers to every widget would keep the app from settling
    await painted(pilot)
    return (time.perf_counter() - started) * 1000


class FirstFrame:
    """When the app first hands its terminal a frame for which `shows()` holds: what the agent sees."""

    def __init__(self, app) -> None:
        self.shows = None
        self.at: float | None = None
        self.shown = asyncio.Event()
        original = app._display

        def display(screen, update) -> None:
            original(screen, update)
            if self.shows is not None and self.at is None and update is not None:
                at = time.perf_counter()
                if self.shows():
                    self.at = at
                    self.shown.set()

        app._display = display

    def expect(self, shows) -> None:
        self.shows, self.at = shows, None
        self.shown.clear()


async def timed_appends(app, pilot, chat_id: str, count: int) -> list[float]:
    """ms from sync telling the app about a new message to the first frame showing it, painted by the app's
    own screen-update timer: nothing of Pilot runs in between (its waits post a message to every widget,
    which delayed the frame by about a millisecond). The list, header and read marks catch up a frame
    later; customers write seconds apart, so each sample starts from a settled screen."""
    from console.chat_desk import StoreChanged

    frames = FirstFrame(app)
    transcript = app.desk.main_pane.transcript
    samples = []
    seq = app.store.chats.last_seq(chat_id)
    for number in range(count):
        seq += 1
        text = f"append {number} 追加消息 {random.random():.6f}"
        message = RemoteMessage(f"bench_{chat_id}_{seq}", chat_id, seq, "customer", text, time.time())
        app.store.chats.apply_changes([], [message])  # what the sync engine does, then it tells the UI
        frames.expect(lambda: any(text in line for line in transcript.plain_lines()[-6:]))
        started = time.perf_counter()
        app.desk.post_message(StoreChanged({chat_id}))
        try:
            await asyncio.wait_for(frames.shown.wait(), timeout=5)
        except asyncio.TimeoutError:
            raise RuntimeError("the appended message is not on screen") from None
        samples.append((frames.at - started) * 1000)
        frames.expect(None)
        await pilot.pause()  # ends with a screen update, after which the deferred work is called...
        await painted(pilot)  # ...and painted here
    return samples


async def keys_during_reload(app, pilot, staged: Path, team: Path) -> tuple[list[float], float]:
    """A team library lands in its folder: the app notices (its timer calls the same method every 2 s) and
    rebuilds in a worker while the agent goes on typing at 20 keys a second. Timed: every key until the new
    library is in, and the reload itself."""
    composer = app.desk.main_pane.composer
    composer.clear()
    team.mkdir(exist_ok=True)
    for path in staged.glob("*.toml"):
        path.rename(team / path.name)
    started = time.perf_counter()
    app.desk.reply_actions.reload_if_changed()
    if not app.replies.reloading:
        raise RuntimeError("the reload did not start")
    keys, typed = [], "refund on its way 退款 "
    while app.replies.reloading:
        if len(composer.text) > 200:
            composer.clear()
        character = typed[len(keys) % len(typed)]
        keys.append(await key_painted(pilot, {" ": "space"}.get(character, character), character))
        await asyncio.sleep(0.05)
    reload_s = time.perf_counter() - started
    await app.workers.wait_for_complete()
    if app.replies.by_shortcut("s7") is None:
        raise RuntimeError("the large library is not in")
    composer.clear()
    return keys, reload_s


async def measure_in_process(store_path: Path, url: str, token: str, chats: int, staged: Path | None) -> dict:
    app = make_app(store_path, url, token)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: history_on_screen(app, chats))
        await pilot.pause(0.5)
        idle = []  # what the measuring itself costs: the same wait and screen update with nothing changed
        for _ in range(50):
            started = time.perf_counter()
            await painted(pilot)
            idle.append((time.perf_counter() - started) * 1000)
        switches = []
        for _ in range(3 * chats):
            before = app.desk.current_chat_id
            switches.append(await key_painted(pilot, "alt+down"))
            assert app.desk.current_chat_id != before
        big_chat = app.desk.current_chat_id
        # From here the benchmark plays the sync engine: it writes to the store and tells the UI, as the
        # engine does, so what is timed is the console's own work, not the long poll's network round trip.
        app.sync.stop()
        appends = await timed_appends(app, pilot, big_chat, 200)
        keys = []
        typed = ("hello world, your refund is on its way " * 6)[:200]
        for character in typed:
            keys.append(await key_painted(pilot, {" ": "space", ",": "comma"}.get(character, character), character))
        if app.desk.main_pane.composer.text != typed:
            raise RuntimeError("the composer did not get every key")
        app.desk.main_pane.composer.clear()
        # Baseline: the same appends into a chat with a short history, in this run.
        small_chat, now = "bench_short_history", time.time()
        app.store.chats.apply_changes(
            [RemoteChat(small_chat, "Short history", "", False, "web", "opened", "normal", now, now)],
            [RemoteMessage(f"{small_chat}_{seq}", small_chat, seq, "customer" if seq % 2 else "agent",
                           EN[seq % len(EN)], now) for seq in range(1, 21)])
        app.desk.refresh_chats()
        app.desk.show_chat(small_chat)
        await pilot.pause()
        small_appends = await timed_appends(app, pilot, small_chat, 200)
        history = app.store.conn.execute("SELECT COUNT(*) FROM messages WHERE chat_id=?", (big_chat,)).fetchone()[0]
        figures = {
            "switch_p99_ms": p99(switches), "switch_p50_ms": statistics.median(switches),
            "append_p99_ms": p99(appends), "append_p50_ms": statistics.median(appends),
            "append_small_chat_p99_ms": p99(small_appends), "open_chat_messages": history,
            "keystroke_p99_ms": p99(keys), "keystroke_p50_ms": statistics.median(keys),
            "rss_mb": round(rss_mb(), 1), "idle_p50_ms": statistics.median(idle),
        }
        if staged is not None:
            reload_keys, reload_s = await keys_during_reload(app, pilot, staged, team_library(store_path))
            figures.update({
                "reload_keystroke_p99_ms": p99(reload_keys), "reload_keystroke_p50_ms": statistics.median(reload_keys),
                "reload_keys": len(reload_keys), "reload_s": reload_s, "reload_rss_mb": round(rss_mb(), 1),
            })
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=30)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--size", default="160x50", help="terminal columns x lines (default 160x50)")
    parser.add_argument("--reload-entries", type=int, default=100_000,
                        help="entries of the team library reloaded while typing (0: no reload phase)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    global SIZE
    SIZE = tuple(int(n) for n in args.size.split("x"))
    if args.child:
        mode, *rest = args.child
        if mode == "startup":
            child_startup(Path(rest[0]), rest[1], rest[2], int(rest[3]), float(rest[4]))
        else:
            child_empty_app(float(rest[0]))
        return

    from tests.reference_backend import ReferenceBackend

    with tempfile.TemporaryDirectory() as directory:
        base = Path(directory)
        started = time.perf_counter()
        seed_backend(base / "backend.sqlite3", args.chats, args.messages)
        print(f"seeded {args.chats} chats x {args.messages} messages in {time.perf_counter() - started:.1f} s")
        backend = ReferenceBackend(base / "backend.sqlite3").start()
        try:
            store_path = base / "agent" / "agent.sqlite3"
            started = time.perf_counter()
            asyncio.run(prime(store_path, backend.url, backend.token, args.chats, args.messages))
            print(f"first sync of the whole history: {time.perf_counter() - started:.1f} s (not a target)")
            startups = [launch_child("startup", str(store_path), backend.url, backend.token, str(args.chats))
                        for _ in range(3)]
            empty = [launch_child("empty") for _ in range(3)]
            staged = None
            if args.reload_entries:
                staged = base / "staged-library"
                write_large_library(staged, args.reload_entries)
            figures = asyncio.run(measure_in_process(store_path, backend.url, backend.token, args.chats, staged))
        finally:
            backend.stop()
    result = {
        "chats": args.chats, "messages_per_chat": args.messages,
        "switch_p99_ms": round(figures["switch_p99_ms"], 2), "append_p99_ms": round(figures["append_p99_ms"], 2),
        "keystroke_p99_ms": round(figures["keystroke_p99_ms"], 2), "rss_mb": figures["rss_mb"],
        "startup_s": round(statistics.median(startups), 3),
        "baseline_empty_app_startup_s": round(statistics.median(empty), 3),
        "append_small_chat_p99_ms": round(figures["append_small_chat_p99_ms"], 2),
    }
    if args.reload_entries:
        result.update({
            "reload_entries": args.reload_entries, "reload_s": round(figures["reload_s"], 2),
            "reload_keystroke_p50_ms": round(figures["reload_keystroke_p50_ms"], 2),
            "reload_keystroke_p99_ms": round(figures["reload_keystroke_p99_ms"], 2),
            "reload_keys": figures["reload_keys"], "reload_rss_mb": figures["reload_rss_mb"],
        })
    print(f"startup (launch -> history on screen): {', '.join(f'{s:.2f}' for s in startups)} s "
          f"(empty Textual app: {', '.join(f'{s:.2f}' for s in empty)} s)  target 1.5")
    print(f"switch chat: p50 {figures['switch_p50_ms']:.1f} ms, p99 {figures['switch_p99_ms']:.1f} ms  target 50")
    print(f"append (open chat holds {figures['open_chat_messages']}): p50 {figures['append_p50_ms']:.1f} ms, "
          f"p99 {figures['append_p99_ms']:.1f} ms; into a 20-message chat p99 "
          f"{figures['append_small_chat_p99_ms']:.1f} ms  target 5")
    print(f"keystroke: p50 {figures['keystroke_p50_ms']:.1f} ms, p99 {figures['keystroke_p99_ms']:.1f} ms  target 16")
    if args.reload_entries:
        print(f"keystroke while {args.reload_entries} quick replies reload ({figures['reload_s']:.1f} s, "
              f"{figures['reload_keys']} keys): p50 {figures['reload_keystroke_p50_ms']:.1f} ms, "
              f"p99 {figures['reload_keystroke_p99_ms']:.1f} ms  target 16; RSS after {figures['reload_rss_mb']} MB")
    print(f"RSS: {figures['rss_mb']} MB  target 300")
    print(f"(each timing includes the measuring itself: {figures['idle_p50_ms']:.1f} ms p50 with nothing changed)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
