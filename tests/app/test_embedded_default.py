"""The embedded default: backend + simulator as a child process, the console on top, both stop together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from console.app import AgentConsoleApp
from console.embedded_backend import EmbeddedBackend
from local_cache.reference_client import ReferenceApiClient
from local_cache.store import profile_path
from tests.package_under_test import OUTSIDE_TREE, package_env
from tests.pilot_helpers import wait_until
from widgets.transcript import Transcript


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its parent has not collected it yet.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


def wait_dead(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def open_chats(app) -> list:
    return [chat for chat in app.desk.chats.values() if chat.state != "closed"]


async def test_console_on_the_embedded_default_shows_six_live_customers(tmp_path):
    backend = EmbeddedBackend(tmp_path, simulate=6, pace=0.05)
    backend.spawn()
    app = AgentConsoleApp(
        profile_path(tmp_path, "demo"), lambda: ReferenceApiClient(backend.wait_ready(), backend.token)
    )
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_until(pilot, lambda: len(open_chats(app)) == 6, "six simulated chats")
            await wait_until(
                pilot, lambda: any(c.last_message_preview for c in app.desk.chats.values()), "customers to write"
            )
            names = {chat.customer_name for chat in open_chats(app)}
            assert {"Emily Carter", "周海峰"} <= names
            # Returning customers: some arrive with earlier chats, closed, which the customer panel lists.
            returning = {chat.customer_id for chat in open_chats(app)} & {
                chat.customer_id for chat in app.desk.chats.values() if chat.state == "closed"}
            assert len(returning) >= 3
            await wait_until(pilot, lambda: app.desk.sync_status and app.desk.sync_status.online, "online status")
            assert app.desk.sync_status.agent_name == "Demo Agent"
            await wait_until(pilot, lambda: app.desk.query_one(Transcript).plain_lines(), "a transcript")
    finally:
        backend.stop()
    assert backend.url.startswith("http://127.0.0.1:")


def test_backend_child_exits_when_the_console_is_killed(tmp_path):
    launcher = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from console.embedded_backend import EmbeddedBackend\n"
        f"backend = EmbeddedBackend(Path({str(tmp_path)!r}), simulate=1)\n"
        "backend.start()\n"
        "print(backend._process.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    console = subprocess.Popen(
        [sys.executable, "-c", launcher], stdout=subprocess.PIPE, text=True, cwd=OUTSIDE_TREE,
        env=package_env(),
    )
    backend_pid = int(console.stdout.readline())
    assert alive(backend_pid)
    os.kill(console.pid, signal.SIGKILL)  # no cleanup code runs in the console
    console.wait()
    assert wait_dead(backend_pid), "the backend outlived the console"


def test_stop_ends_the_child(tmp_path):
    backend = EmbeddedBackend(tmp_path, simulate=0)
    backend.start()
    pid = backend._process.pid
    backend.stop()
    assert wait_dead(pid)
