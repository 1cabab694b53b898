"""Wake-ups after commits that wrote notifications: for live streams and delivery workers.

A listener on the database's own session class sees every commit of a session flagged by
`dispatch`; it bumps a counter that waiters watch. Waiters also poll, since another replica
may have written the notification (its commit wakes nobody here). The same listener counts
the committed inbox items in the metrics: a rolled-back transaction (a consumer batch that
is replayed one by one) counts nothing.
"""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import event
from sqlalchemy.orm import Session

from homeward.common.db import Database
from homeward.common.metrics import NOTIFICATIONS_CREATED
from homeward.notifications.handlers.dispatch import CREATED, WROTE_NOTIFICATIONS


class NotificationSignal:
    def __init__(self, database: Database) -> None:
        self.database = database
        # One event per version: notifying sets it and puts a fresh one in its place, so
        # everyone waiting wakes and later waiters wait for the next change. (A Condition
        # here broke on cancellation: wait_for() cancelling Condition.wait can leave its
        # lock released twice.)
        self._changed = asyncio.Event()
        self._version = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        event.listen(self.database.session_class, "after_commit", self._after_commit)
        event.listen(self.database.session_class, "after_rollback", self._after_rollback)

    async def stop(self) -> None:
        for name, listener in (
            ("after_commit", self._after_commit),
            ("after_rollback", self._after_rollback),
        ):
            with contextlib.suppress(Exception):
                event.remove(self.database.session_class, name, listener)

    @property
    def version(self) -> int:
        return self._version

    async def wait(self, *, seen: int, timeout_s: float) -> int:
        """Until something new was committed after version `seen`, or `timeout_s` passed."""
        if self._version == seen:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout_s)
        return self._version

    def _after_commit(self, session: Session) -> None:
        for (kind, scope), count in session.info.pop(CREATED, {}).items():
            NOTIFICATIONS_CREATED.labels(kind=kind, scope=scope).inc(count)
        if not session.info.pop(WROTE_NOTIFICATIONS, False) or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self.notify)

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(CREATED, None)

    def notify(self) -> None:
        self._version += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
