"""The loop both workers share: work while there is work, then wait for a wake-up or a poll."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

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
