"""Work a service runs next to its API every so often (an expiry check, an overdue check,
pruning): a `ServiceParts.background` task that a subclass gives its `run_once`.

A failed round is logged and the next one comes at the next interval: the API keeps serving
through a database hiccup, and several replicas may run the same task, so `run_once` must be
safe to run concurrently with itself elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

logger = logging.getLogger("homeward.background")


class PeriodicTask:
    name = "periodic task"

    def __init__(self, *, interval_s: float) -> None:
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> object:
        raise NotImplementedError

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
            try:
                await self.run_once()
            except Exception:
                logger.exception("%s failed; next round in %.0f s", self.name, self.interval_s)
            await asyncio.sleep(self.interval_s)
