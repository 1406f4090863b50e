"""Fixtures of the CLI tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def connection(tmp_path, reference_backend) -> list[str]:
    """The options that point a command at the test's reference backend, with a data dir of its own."""
    return ["--backend", reference_backend.url, "--token", reference_backend.token,
            "--data-dir", str(tmp_path / "data"), "--config", str(tmp_path / "absent.toml")]
