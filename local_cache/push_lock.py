"""One pushing engine per store file: an exclusive advisory lock beside it.

Several processes may share a data dir (the console, `agent-console sync`, `agent-console send --wait`). All of
them pull, but only the lock holder pushes, so the outbox leaves in one strict order and an item is never
in flight from two processes. The kernel drops the lock when its holder dies, even by kill -9.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class PushLock:
    def __init__(self, store_path: Path):
        self.path = Path(store_path).with_name(Path(store_path).name + ".push-lock")
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None
