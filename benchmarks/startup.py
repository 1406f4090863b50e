"""Startup and memory of the console on its embedded default.

Measures, in one run:
  - cold start: process launch -> first chat on screen, with an empty data dir (the chats must come over
    HTTP from the embedded backend's simulator);
  - warm start: the same with the data dir left by the cold run (chats come from the local cache);
  - baseline: process launch -> first frame of an empty Textual app, on this machine, in this run;
  - RSS of the console process (and, separately, of the backend child) after N minutes of simulated traffic,
    with a scripted agent answering every waiting customer through the outbox.

Usage: python benchmarks/startup.py [--minutes 5] [--pace 0.2]
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = "BENCH "


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child_pids(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def launch(mode: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, __file__, "--child", mode, *args],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def wait_for_mark(process: subprocess.Popen, name: str) -> dict:
    for line in process.stdout:
        if line.startswith(MARK):
            event = json.loads(line[len(MARK):])
            if event["event"] == name:
                return event
    raise RuntimeError(f"child exited before {name}")


def timed_launch(mode: str, *args: str) -> tuple[float, subprocess.Popen]:
    started = time.time()
    process = launch(mode, *args)
    event = wait_for_mark(process, "first_chat" if mode == "console" else "first_frame")
    return event["at"] - started, process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def parent(minutes: float, pace: float) -> None:
    baseline_s, process = timed_launch("baseline")
    stop(process)

    data_dir = tempfile.mkdtemp(prefix="agent-console-bench-")
    cold_s, process = timed_launch("console", data_dir, str(pace))
    stop(process)
    warm_s, process = timed_launch("console", data_dir, str(pace))
    print(f"baseline (empty Textual app, launch -> first frame): {baseline_s * 1000:7.0f} ms")
    print(f"cold start (launch -> first chat, empty cache):      {cold_s * 1000:7.0f} ms")
    print(f"warm start (launch -> first chat, cached):           {warm_s * 1000:7.0f} ms")

    rss_start = rss_mb(process.pid)
    print(f"running {minutes:g} min of simulated traffic (pace {pace:g}) ...", flush=True)
    deadline = time.time() + minutes * 60
    while time.time() < deadline and process.poll() is None:
        time.sleep(1)
    rss_end = rss_mb(process.pid)
    backend_rss = sum(rss_mb(pid) for pid in child_pids(process.pid))
    stop(process)
    sent = json.loads(subprocess.run(
        [sys.executable, "-m", "cli", "chats", "--offline", "--json", "--data-dir", data_dir],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout or "[]")
    print(f"console RSS: {rss_start:.0f} MB at start, {rss_end:.0f} MB after {minutes:g} min; "
          f"backend child {backend_rss:.0f} MB; {len(sent)} chats seen")
    print(json.dumps({
        "baseline_first_frame_ms": round(baseline_s * 1000),
        "cold_first_chat_ms": round(cold_s * 1000),
        "warm_first_chat_ms": round(warm_s * 1000),
        "rss_start_mb": round(rss_start, 1),
        "rss_after_mb": round(rss_end, 1),
        "backend_rss_mb": round(backend_rss, 1),
        "traffic_minutes": minutes,
        "sim_pace": pace,
        "chats_seen": len(sent),
    }))


def mark(event: str) -> None:
    print(MARK + json.dumps({"event": event, "at": time.time()}), flush=True)


def child_baseline() -> None:
    from textual.app import App
    from textual.widgets import Static

    class Empty(App):
        def compose(self):
            yield Static("hello")

        def on_mount(self):
            self.call_after_refresh(mark, "first_frame")

    Empty().run(headless=True)


def child_console(data_dir: str, pace: float) -> None:
    from console.app import AgentConsoleApp
    from console.embedded_backend import EmbeddedBackend
    from local_cache.reference_client import ReferenceApiClient
    from local_cache.store import profile_path

    class MeasuredApp(AgentConsoleApp):
        first_seen = False

        def refresh_chats(self, chat_ids=None) -> None:
            super().refresh_chats(chat_ids)
            if self.chats and not self.first_seen:
                self.first_seen = True
                self.call_after_refresh(mark, "first_chat")

        def on_mount(self) -> None:
            super().on_mount()
            self.set_interval(2.0, self.answer_waiting_customers)

        def answer_waiting_customers(self) -> None:
            for chat in list(self.chats.values()):
                if chat.waiting_since is not None:
                    self.store.outbox.enqueue_message(chat.id, "您好，已收到，马上为您处理。")
            self.refresh_chats()
            self.sync.wake()

    # The same start-up path as `agent-console`: the backend boots while the TUI shows the cache.
    backend = EmbeddedBackend(Path(data_dir), simulate=6, pace=pace)
    backend.spawn()
    try:
        MeasuredApp(
            profile_path(Path(data_dir), "demo"), lambda: ReferenceApiClient(backend.wait_ready(), backend.token)
        ).run(headless=True)
    finally:
        backend.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0, help="traffic duration before reading RSS")
    parser.add_argument("--pace", type=float, default=0.2, help="simulator pace (0.2 = five times human speed)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is None:
        parent(args.minutes, args.pace)
    elif args.child[0] == "baseline":
        child_baseline()
    else:
        child_console(args.child[1], float(args.child[2]))


if __name__ == "__main__":
    main()
