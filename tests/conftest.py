from __future__ import annotations

import pytest

from tests.reference_backend import ReferenceBackend


@pytest.fixture
def reference_backend(tmp_path):
    backend = ReferenceBackend(tmp_path / "backend.sqlite3").start()
    yield backend
    backend.stop()
