"""Fixtures of the tests that run the real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.platform.serving import fresh_data_dir


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A fresh data directory for an embedded PostgreSQL, cleaned up afterwards."""
    with fresh_data_dir("portal-serve-") as path:
        yield path
