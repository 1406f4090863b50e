"""Fixtures of the Pilot tests."""

from __future__ import annotations

import pytest

from tests.screen_capture import capture_into


@pytest.fixture
def terminal_writes(monkeypatch) -> list[str]:
    """Every string the app writes to the terminal during the test (tests/screen_capture.py reads it)."""
    from textual.drivers.headless_driver import HeadlessDriver

    written: list[str] = []
    monkeypatch.setattr(HeadlessDriver, "is_headless", property(lambda driver: False))  # so that it is written to
    monkeypatch.setattr(HeadlessDriver, "write", lambda driver, data: written.append(data))
    capture_into(written)
    return written
