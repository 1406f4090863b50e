from __future__ import annotations

import pytest

from tests.reference_backend import ReferenceBackend


@pytest.fixture
def reference_backend(tmp_path):
    backend = ReferenceBackend(tmp_path / "backend.sqlite3").start()
    yield backend
    backend.stop()


@pytest.fixture
def fault_proxy(reference_backend):
    from tests.fault_proxy import FaultProxy

    proxy = FaultProxy(reference_backend.url).start()
    yield proxy
    proxy.stop()
