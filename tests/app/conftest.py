"""Fixtures of the Pilot tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def terminal_writes(monkeypatch) -> list[str]:
    """Every string the app writes to the terminal during the test."""
    from textual.drivers.headless_driver import HeadlessDriver

    written: list[str] = []
    monkeypatch.setattr(HeadlessDriver, "is_headless", property(lambda driver: False))  # so that it is written to
    monkeypatch.setattr(HeadlessDriver, "write", lambda driver, data: written.append(data))
    return written
