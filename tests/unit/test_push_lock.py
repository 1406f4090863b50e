"""One pusher per store file, across processes, released when its holder dies (a real lock file, real processes)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from local_cache.push_lock import PushLock
from tests.package_under_test import OUTSIDE_TREE, package_env


def test_a_second_holder_waits_until_the_first_releases(tmp_path):
    first, second = PushLock(tmp_path / "store.sqlite3"), PushLock(tmp_path / "store.sqlite3")
    assert first.try_acquire() and first.try_acquire(), "taking it again is a no-op"
    assert not second.try_acquire()
    first.release()
    assert not first.held and second.try_acquire()
    second.release()


def test_a_holder_killed_with_sigkill_leaves_the_lock_free(tmp_path):
    store = tmp_path / "store.sqlite3"
    program = ("import sys, time\n"
               "from pathlib import Path\n"
               "from local_cache.push_lock import PushLock\n"
               "lock = PushLock(Path(sys.argv[1]))\n"
               "assert lock.try_acquire()\n"
               "print('held', flush=True)\n"
               "time.sleep(600)\n")
    holder = subprocess.Popen([sys.executable, "-c", program, str(store)], stdout=subprocess.PIPE, text=True,
                              cwd=OUTSIDE_TREE, env=package_env())
    try:
        assert holder.stdout.readline().strip() == "held"
        lock = PushLock(store)
        assert not lock.try_acquire(), "another process holds it"
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        deadline = time.monotonic() + 10
        while not lock.try_acquire() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lock.held, "the kernel dropped the dead holder's lock"
        lock.release()
    finally:
        holder.kill()
