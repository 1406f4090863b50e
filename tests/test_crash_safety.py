"""kill -9 of a running `agent-console sync`, again and again, while senders keep adding messages."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

from local_cache.store import profile_path
from tests.package_under_test import OUTSIDE_TREE, package_env

CHATS = 5
FAST_MESSAGES = 150  # the backlog already waiting when the first sync starts
SLOW_MESSAGES = 100  # added while syncs are being killed
KILLS = 22

SENDER = """
import sys, time
from pathlib import Path
from local_cache.store import LocalStore
chat_ids = sys.argv[2].split(",")
store = LocalStore(Path(sys.argv[1]))
counters = [0] * len(chat_ids)
for n in range({total}):
    index = n % len(chat_ids)
    store.enqueue_message(chat_ids[index], f"{{index}}:{{counters[index]:04d}}")
    counters[index] += 1
    if n >= {fast}:
        time.sleep(0.12)
"""


def run_cli(*args, check=True):
    return subprocess.run(
        [sys.executable, "-m", "console", *args], capture_output=True, text=True, cwd=OUTSIDE_TREE, timeout=120,
        env=package_env(), check=check,
    )


def test_kill_9_at_random_moments_loses_nothing_and_duplicates_nothing(tmp_path, reference_backend, fault_proxy):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    chat_ids = [reference_backend.open_chat(f"客户{n}") for n in range(CHATS)]
    # Through the proxy, which holds back the answer to every third push after forwarding it: a kill then
    # lands in the widest dangerous window, the server having applied what the client has not heard of.
    connection = ["--backend", fault_proxy.url, "--token", reference_backend.token,
                  "--data-dir", str(tmp_path), "--config", str(tmp_path / "none.toml")]
    run_cli("sync", "--once", *connection)
    fault_proxy.plan(*["pass", "pass", "stall"] * 100)
    store_path = profile_path(tmp_path, "default")
    env = package_env()

    sender = subprocess.Popen(
        [sys.executable, "-c", SENDER.format(total=FAST_MESSAGES + SLOW_MESSAGES, fast=FAST_MESSAGES),
         str(store_path), ",".join(chat_ids)],
        cwd=OUTSIDE_TREE, env=env,
    )
    cli_senders = []
    for kill in range(KILLS):
        if kill in (5, 12):  # `send` processes share the data dir with the sender and the sync
            cli_senders.append(subprocess.Popen(
                [sys.executable, "-m", "console", "send", "--chat", chat_ids[0], f"cli-{kill}", *connection],
                cwd=OUTSIDE_TREE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ))
        sync = subprocess.Popen([sys.executable, "-m", "console", "sync", *connection], cwd=OUTSIDE_TREE, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.4))
        os.kill(sync.pid, signal.SIGKILL)
        sync.wait()
    delivered_before_drain = sum(
        1 for chat_id in chat_ids for m in reference_backend.messages(chat_id) if m["author"] == "agent"
    )
    print(f"seed {seed}: {delivered_before_drain} messages delivered by the killed syncs")
    assert sender.wait(120) == 0, f"sender failed (seed {seed})"
    assert all(p.wait(60) == 0 for p in cli_senders)

    stalled = sum(1 for _, _, fault in fault_proxy.requests_seen if fault == "stall")
    print(f"{stalled} pushes were applied by the server and then held back from the client")
    fault_proxy.plan()
    for _ in range(10):  # restart until drained
        if run_cli("sync", "--once", *connection, check=False).returncode == 0:
            break
    else:
        raise AssertionError(f"the outbox never drained (seed {seed}): {run_cli('outbox', *connection).stdout}")

    for index, chat_id in enumerate(chat_ids):
        texts = [m["text"] for m in reference_backend.messages(chat_id) if m["author"] == "agent"]
        expected = [f"{index}:{n:04d}" for n in range((FAST_MESSAGES + SLOW_MESSAGES) // CHATS)]
        if index == 0:
            assert sorted(t for t in texts if t.startswith("cli-")) == ["cli-12", "cli-5"], f"seed {seed}"
            texts = [t for t in texts if not t.startswith("cli-")]
        assert texts == expected, f"chat {index}: each message once, in order (seed {seed})"
        keys = [m["client_key"] for m in reference_backend.messages(chat_id) if m["author"] == "agent"]
        assert len(keys) == len(set(keys))

    conn = sqlite3.connect(store_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    states = dict(conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())
    assert states == {"sent": FAST_MESSAGES + SLOW_MESSAGES + 2}
    conn.close()
