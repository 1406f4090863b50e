"""The suite tests what users install: the packages pip put in site-packages (tests/package_under_test.py)."""

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
def terminal_writes(monkeypatch) -> list[str]:
    """Every string the app writes to the terminal during the test."""
    from textual.drivers.headless_driver import HeadlessDriver

    written: list[str] = []
    monkeypatch.setattr(HeadlessDriver, "is_headless", property(lambda driver: False))  # so that it is written to
    monkeypatch.setattr(HeadlessDriver, "write", lambda driver, data: written.append(data))
    return written


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
