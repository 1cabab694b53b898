"""Fixtures of the events library's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from event_helpers import prepared_database

from homeward.common.db import Database


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A scratch database (both backends) with the event tables migrated."""
    async with prepared_database(database_url) as database:
        yield database
