"""Fixtures every test folder shares: scratch databases on both backends."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from homeward.common.testing.databases import (
    postgres_unreachable_reason,
    scratch_database_url,
    selected_backends,
)
from homeward.common.testing.idp import identity_provider  # noqa: F401
from homeward.common.testing.kafka import kafka_bootstrap  # noqa: F401

IN_CI = os.environ.get("CI", "").lower() == "true"


async def require_backend(backend: str) -> None:
    """Skips a PostgreSQL test when PostgreSQL is unreachable; fails it instead in CI."""
    if backend == "postgresql" and (reason := await postgres_unreachable_reason()):
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)


@pytest.fixture(params=selected_backends())
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: once on SQLite, once on PostgreSQL."""
    await require_backend(request.param)
    async with scratch_database_url(request.param, tmp_path) as url:
        yield url
