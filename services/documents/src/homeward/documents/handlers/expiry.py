"""The periodic expiry check: marks expired documents, warns ahead of expiry, and lets
readiness follow.

Safe with several replicas without a leader: every change is a conditional UPDATE
("... WHERE status = 'issued' AND expiry_on < today"), and only the replica whose UPDATE
matched the row stages the events. Each record is its own transaction, so one failure
neither blocks the rest nor leaves half a change.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, update
from sqlmodel import col, select

from homeward.common.contracts.documents import DocumentExpired, DocumentExpiring
from homeward.common.db import Database, utcnow
from homeward.common.events.outbox import add_event
from homeward.documents.adapters.tables import PersonRow, RecordChangeRow, RecordRow
from homeward.documents.catalogue import Catalogue
from homeward.documents.domain.records import RecordStatus
from homeward.documents.handlers.readiness import refresh_readiness
from homeward.documents.handlers.records import status_changed

logger = logging.getLogger("homeward.documents.expiry")
EXPIRY_ACTOR = "homeward-documents#expiry-check"
ISSUED = RecordStatus.ISSUED.value


@dataclass(frozen=True)
class ExpiryReport:
    expired: int
    warned: int


async def run_expiry_check(
    database: Database, *, catalogue: Catalogue, today: date, warning_days: int
) -> ExpiryReport:
    async with database.sessions() as session:
        due = (await session.exec(
            select(RecordRow.id).where(RecordRow.status == ISSUED)
            .where(col(RecordRow.expiry_on) < today)
        )).all()  # fmt: skip
        horizon = today + timedelta(days=warning_days)
        warn = (await session.exec(
            select(RecordRow.id).where(RecordRow.status == ISSUED)
            .where(col(RecordRow.expiry_on) >= today).where(col(RecordRow.expiry_on) <= horizon)
            .where(or_(col(RecordRow.expiry_warned_for).is_(None),
                       col(RecordRow.expiry_warned_for) != col(RecordRow.expiry_on)))
        )).all()  # fmt: skip
    expired = sum([await _expire(database, record_id, catalogue=catalogue, today=today)
                   for record_id in due])  # fmt: skip
    warned = sum([await _warn(database, record_id, today=today, horizon=horizon)
                  for record_id in warn])  # fmt: skip
    return ExpiryReport(expired=expired, warned=warned)


async def _expire(database: Database, record_id: str, *, catalogue: Catalogue, today: date) -> bool:
    async with database.transaction() as session:
        claimed = await session.exec(
            update(RecordRow)
            .where(col(RecordRow.id) == record_id)
            .where(col(RecordRow.status) == ISSUED)
            .where(col(RecordRow.expiry_on) < today)
            .values(status=RecordStatus.EXPIRED.value, updated_at=utcnow())
        )
        if claimed.rowcount != 1:
            return False  # another replica, or an officer, got there first
        record = await session.get(RecordRow, record_id, populate_existing=True)
        person = await session.get(PersonRow, record.person_id)  # type: ignore[union-attr]
        assert record is not None and person is not None
        now = utcnow()
        session.add(RecordChangeRow(record_id=record.id, at=now, actor=EXPIRY_ACTOR,
                                    from_status=ISSUED, to_status=record.status))  # fmt: skip
        add_event(session, status_changed(record, person=person, from_status=ISSUED),
                  key=record.case_id, subject=person.case_code)  # fmt: skip
        add_event(
            session,
            DocumentExpired(
                record_id=record.id, case_id=record.case_id, case_code=person.case_code,
                municipality=record.municipality, person_id=record.person_id,
                document_type=record.document_type, expiry_on=record.expiry_on,  # type: ignore[arg-type]
                expired_at=now,
            ),
            key=record.case_id,
            subject=person.case_code,
        )  # fmt: skip
        await refresh_readiness(session, person=person, catalogue=catalogue, today=today)
    return True


async def _warn(database: Database, record_id: str, *, today: date, horizon: date) -> bool:
    async with database.transaction() as session:
        claimed = await session.exec(
            update(RecordRow)
            .where(col(RecordRow.id) == record_id)
            .where(col(RecordRow.status) == ISSUED)
            .where(col(RecordRow.expiry_on) >= today)
            .where(col(RecordRow.expiry_on) <= horizon)
            .where(or_(col(RecordRow.expiry_warned_for).is_(None),
                       col(RecordRow.expiry_warned_for) != col(RecordRow.expiry_on)))
            .values(expiry_warned_for=RecordRow.expiry_on)
        )  # fmt: skip
        if claimed.rowcount != 1:
            return False
        record = await session.get(RecordRow, record_id, populate_existing=True)
        person = await session.get(PersonRow, record.person_id)  # type: ignore[union-attr]
        assert record is not None and person is not None
        add_event(
            session,
            DocumentExpiring(
                record_id=record.id, case_id=record.case_id, case_code=person.case_code,
                municipality=record.municipality, person_id=record.person_id,
                document_type=record.document_type, expiry_on=record.expiry_on,  # type: ignore[arg-type]
                warned_at=utcnow(),
            ),
            key=record.case_id,
            subject=person.case_code,
        )  # fmt: skip
    return True


async def expiry_loop(
    database: Database, *, catalogue: Catalogue, interval_s: float, warning_days: int
) -> None:
    """Runs until cancelled; a failed pass is logged and retried at the next interval."""
    while True:
        try:
            report = await run_expiry_check(
                database, catalogue=catalogue, today=utcnow().date(), warning_days=warning_days
            )
            if report.expired or report.warned:
                logger.info("expiry check", extra={"expired": report.expired,
                                                   "warned": report.warned})  # fmt: skip
        except Exception:  # the loop must outlive a database hiccup
            logger.exception("expiry check failed")
        await asyncio.sleep(interval_s)
