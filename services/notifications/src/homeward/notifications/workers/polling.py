"""What both workers share: the loop (work while there is work, then wait for a wake-up or a
poll), and claiming due rows with a lease so that several replicas never take the same one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, update
from sqlmodel import SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.notifications.live import NotificationSignal

logger = logging.getLogger("homeward.notifications.workers")


class PollingWorker:
    def __init__(
        self,
        *,
        name: str,
        signal: NotificationSignal,
        poll_interval_s: float,
        run_once: Callable[[], Awaitable[int]],
    ) -> None:
        self.name = name
        self.signal = signal
        self.poll_interval_s = poll_interval_s
        self._run_once = run_once
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            seen = self.signal.version
            try:
                done = await self._run_once()
            except Exception:  # a bad pass is logged; the worker must keep going
                logger.exception("%s pass failed", self.name)
                done = 0
            if not done:
                await self.signal.wait(seen=seen, timeout_s=self.poll_interval_s)


async def claim_due(
    session: AsyncSession, table: type[SQLModel], *, due: Select, lease_until: datetime
) -> list[Any]:
    """The ids among `due` (rows of `id, next_attempt_at`) this caller now holds until
    `lease_until`: a conditional update on `next_attempt_at` claims each, and loses to any
    other replica that moved it first."""
    connection = await session.connection()
    claimed = []
    for row_id, due_at in (await session.exec(due)).all():
        result = await connection.execute(
            update(table)
            .where(col(table.id) == row_id, col(table.next_attempt_at) == due_at)  # type: ignore[attr-defined]
            .values(next_attempt_at=lease_until)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(row_id)
    return claimed
