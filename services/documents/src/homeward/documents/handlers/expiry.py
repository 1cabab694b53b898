"""The periodic expiry check: marks expired documents, warns ahead of expiry, and lets
readiness follow.

Safe with several replicas without a leader: every change is a conditional UPDATE
("... WHERE status = 'issued' AND expiry_on < today"), and only the replica whose UPDATE
matched the row stages the events. Each record is its own transaction, so one failure
neither blocks the rest nor leaves half a change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.background import PeriodicTask
from homeward.common.contracts.documents import DocumentExpired, DocumentExpiring
from homeward.common.db import Database, utcnow
from homeward.common.events.outbox import add_event
from homeward.documents.adapters.tables import PersonRow, RecordChangeRow, RecordRow
from homeward.documents.catalogue import Catalogue
from homeward.documents.domain.records import RecordStatus
from homeward.documents.handlers.readiness import refresh_readiness
from homeward.documents.handlers.records import record_event_fields, status_changed

logger = logging.getLogger("homeward.documents.expiry")
EXPIRY_ACTOR = "homeward-documents#expiry-check"
ISSUED = RecordStatus.ISSUED.value


@dataclass(frozen=True)
class ExpiryReport:
    expired: int
    warned: int


def _due(today: date) -> list[ColumnElement[bool]]:
    """Issued, and past its expiry date."""
    return [col(RecordRow.status) == ISSUED, col(RecordRow.expiry_on) < today]


def _to_warn(today: date, horizon: date) -> list[ColumnElement[bool]]:
    """Issued, expiring by `horizon`, and not yet warned about this expiry date."""
    return [
        col(RecordRow.status) == ISSUED,
        col(RecordRow.expiry_on) >= today,
        col(RecordRow.expiry_on) <= horizon,
        or_(col(RecordRow.expiry_warned_for).is_(None),
            col(RecordRow.expiry_warned_for) != col(RecordRow.expiry_on)),
    ]  # fmt: skip


async def run_expiry_check(
    database: Database, *, catalogue: Catalogue, today: date, warning_days: int
) -> ExpiryReport:
    horizon = today + timedelta(days=warning_days)
    async with database.sessions() as session:
        due = (await session.exec(select(RecordRow.id).where(*_due(today)))).all()
        warn = (await session.exec(select(RecordRow.id).where(*_to_warn(today, horizon)))).all()
    expired = sum([await _expire(database, record_id, catalogue=catalogue, today=today)
                   for record_id in due])  # fmt: skip
    warned = sum([await _warn(database, record_id, today=today, horizon=horizon)
                  for record_id in warn])  # fmt: skip
    return ExpiryReport(expired=expired, warned=warned)


async def _claim(
    session: AsyncSession, record_id: str, conditions: list[ColumnElement[bool]], **values: Any
) -> tuple[RecordRow, PersonRow] | None:
    """Change the record only if it still meets `conditions`; None if it no longer does
    (another replica, or an officer, got there first)."""
    claimed = await session.exec(
        update(RecordRow).where(col(RecordRow.id) == record_id, *conditions).values(**values)
    )
    if claimed.rowcount != 1:
        return None
    record = await session.get(RecordRow, record_id, populate_existing=True)
    person = await session.get(PersonRow, record.person_id)  # type: ignore[union-attr]
    assert record is not None and person is not None
    return record, person


async def _expire(database: Database, record_id: str, *, catalogue: Catalogue, today: date) -> bool:
    async with database.transaction() as session:
        claimed = await _claim(session, record_id, _due(today),
                               status=RecordStatus.EXPIRED.value, updated_at=utcnow())  # fmt: skip
        if claimed is None:
            return False
        record, person = claimed
        now = utcnow()
        session.add(RecordChangeRow(record_id=record.id, at=now, actor=EXPIRY_ACTOR,
                                    from_status=ISSUED, to_status=record.status))  # fmt: skip
        add_event(session, status_changed(record, person=person, from_status=ISSUED),
                  key=record.case_id, subject=person.case_code)  # fmt: skip
        add_event(
            session,
            DocumentExpired(**record_event_fields(record, person=person),
                            expiry_on=record.expiry_on, expired_at=now),
            key=record.case_id,
            subject=person.case_code,
        )  # fmt: skip
        await refresh_readiness(session, person=person, catalogue=catalogue, today=today)
    return True


async def _warn(database: Database, record_id: str, *, today: date, horizon: date) -> bool:
    async with database.transaction() as session:
        claimed = await _claim(session, record_id, _to_warn(today, horizon),
                               expiry_warned_for=RecordRow.expiry_on)  # fmt: skip
        if claimed is None:
            return False
        record, person = claimed
        add_event(
            session,
            DocumentExpiring(**record_event_fields(record, person=person),
                             expiry_on=record.expiry_on, warned_at=utcnow()),
            key=record.case_id,
            subject=person.case_code,
        )  # fmt: skip
    return True


class ExpiryCheck(PeriodicTask):
    """The check every `interval_s`, run next to the API (a `ServiceParts.background` task)."""

    name = "expiry check"

    def __init__(
        self, database: Database, *, catalogue: Catalogue, interval_s: float, warning_days: int
    ) -> None:
        super().__init__(interval_s=interval_s)
        self._database, self._catalogue, self._warning_days = database, catalogue, warning_days

    async def run_once(self) -> object:
        report = await run_expiry_check(
            self._database, catalogue=self._catalogue, today=utcnow().date(),
            warning_days=self._warning_days,
        )  # fmt: skip
        if report.expired or report.warned:
            logger.info("expiry check", extra={"expired": report.expired,
                                               "warned": report.warned})  # fmt: skip
        return report
