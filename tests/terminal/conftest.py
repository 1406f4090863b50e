from __future__ import annotations

import os
import signal

import pytest

from tests.reference_backend import ReferenceBackend


@pytest.fixture
def backend(tmp_path):
    """The reference backend, as its own process; a test that froze it (SIGSTOP) has it woken before it stops."""
    backend = ReferenceBackend(tmp_path / "backend.sqlite3").start()
    yield backend
    if backend.process and backend.process.poll() is None:
        os.kill(backend.process.pid, signal.SIGCONT)
    backend.stop()
