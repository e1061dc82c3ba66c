"""Starting identity providers from pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.idp.harness import IdentityProvider


def start_provider(
    tmp_path_factory: pytest.TempPathFactory, name: str, **kwargs: Any
) -> Iterator[IdentityProvider]:
    """A running provider for a fixture to yield from; stopped after."""
    with IdentityProvider(tmp_path_factory.mktemp(f"idp-{name}"), **kwargs) as provider:
        yield provider
