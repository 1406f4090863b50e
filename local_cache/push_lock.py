"""One pushing engine per store file: an exclusive advisory lock beside it.

Several processes may share a data dir (the console, `agent-console sync`, `agent-console send --wait`). All of
them pull, but only the lock holder pushes, so the outbox leaves in one strict order and an item is never
in flight from two processes. The operating system drops the lock when its holder dies, even by kill -9.

The lock is filelock's (flock on Linux and macOS, LockFileEx on Windows): a maintained cross-platform lock
rather than fcntl, which Windows does not have. The lock file is kept (deleting it on release would let a
process lock a new file while another still holds the old one), the lock belongs to the object rather than
the thread that took it (the engine may release it from another thread), and it never falls back to a lock
file that a killed process would leave behind.
"""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock, Timeout


class PushLock:
    def __init__(self, store_path: Path):
        self.path = Path(store_path).with_name(Path(store_path).name + ".push-lock")
        self._lock = FileLock(self.path, timeout=0, mode=0o600, thread_local=False, fallback_to_soft=False,
                              preserve_lock_file=True)

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def try_acquire(self) -> bool:
        if self.held:
            return True
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        return True

    def release(self) -> None:
        if self.held:
            self._lock.release(force=True)
