"""The suite tests what users install: the packages pip put in site-packages (tests/package_under_test.py).

The fixtures every layer uses live here: a real reference backend on 127.0.0.1 and a fault proxy before it.
The layers' own are in their folders' conftest.py (tests/app/conftest.py: what the app writes to the terminal).
"""

from __future__ import annotations

import sys

import pytest

from tests.package_under_test import REINSTALL, REPO_ROOT, SOURCE_MODE, installed_package_problem

if SOURCE_MODE:
    sys.path.insert(0, str(REPO_ROOT))  # asked for: the tree, explicitly, instead of the installed package

from tests.reference_backend import ReferenceBackend  # noqa: E402  (in source mode: from the tree)


def pytest_configure(config):
    problem = None if SOURCE_MODE else installed_package_problem()
    if problem is not None:
        pytest.exit(
            f"{problem}.\nThe tests run against the package as installed, from outside the tree: run "
            f"`{REINSTALL}` after changing it, then `.venv/bin/pytest` (not `python -m pytest`, which puts the "
            f"tree first on sys.path); or set AGENT_CONSOLE_TEST_SOURCE=1 to test the tree itself.",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )


@pytest.fixture
def reference_backend(tmp_path):
    backend = ReferenceBackend(tmp_path / "backend.sqlite3").start()
    yield backend
    backend.stop()


@pytest.fixture
def agent(reference_backend):
    """An httpx client of the reference backend's agent API, signed in."""
    import httpx

    from tests.reference_backend import AGENT_TOKEN

    with httpx.Client(base_url=f"{reference_backend.url}/api/v1", timeout=30,
                      headers={"Authorization": f"Bearer {AGENT_TOKEN}"}) as client:
        yield client


@pytest.fixture
def fault_proxy(reference_backend):
    from tests.fault_proxy import FaultProxy

    proxy = FaultProxy(reference_backend.url).start()
    yield proxy
    proxy.stop()
