"""The periodic overdue check: one escalation event per referral, deadline and level.

Safe with several replicas without a leader: each escalation is one transaction inserting a
row under a unique (referral, deadline, level) key together with its history line and outbox
event. A second checker racing on the same referral fails on that key and rolls its event
back, so each escalation is published exactly once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from homeward.common.background import PeriodicTask
from homeward.common.contracts.referrals import IN_AGENCY_HANDS
from homeward.common.db import Database, utcnow
from homeward.referrals.adapters.repository import save, to_referral
from homeward.referrals.adapters.tables import EscalationRow, ReferralRow
from homeward.referrals.domain.deadlines import Overdue, overdue_levels
from homeward.referrals.domain.lifecycle import ReferralState
from homeward.referrals.settings import ReferralsSettings

logger = logging.getLogger("homeward.referrals.deadlines")

# Deadlines run while the referral is in the agency's hands (sent, not ended).
WATCHED = sorted(s.value for s in IN_AGENCY_HANDS)


async def check_overdue(
    database: Database, *, settings: ReferralsSettings, now: datetime | None = None
) -> int:
    """Escalate what is overdue at `now`; returns how many escalations this checker made."""
    now = now or utcnow()
    async with database.session() as session:
        referrals = (
            await session.exec(select(ReferralRow).where(col(ReferralRow.state).in_(WATCHED)))
        ).all()
        # Only the escalations of watched referrals: the table keeps every one ever made.
        done = set((await session.exec(
            select(EscalationRow.referral_id, EscalationRow.deadline, EscalationRow.level)
            .join(ReferralRow, col(ReferralRow.id) == col(EscalationRow.referral_id))
            .where(col(ReferralRow.state).in_(WATCHED))
        )).all())  # fmt: skip
    escalated = 0
    for referral in referrals:
        for overdue in overdue_levels(
            state=ReferralState(referral.state),
            sent_at=referral.sent_at,
            accepted_at=referral.accepted_at,
            acceptance_deadline=settings.acceptance_deadline(referral.service_category),
            completion_target=settings.completion_target(referral.service_category),
            supervisor_factor=settings.supervisor_escalation_factor,
            now=now,
        ):
            key = (referral.id, overdue.kind.value, overdue.level.value)
            if key in done:
                continue
            if await _escalate(
                database, referral_id=referral.id, overdue=overdue, settings=settings, now=now
            ):
                escalated += 1
    return escalated


async def _escalate(
    database: Database,
    *,
    referral_id: str,
    overdue: Overdue,
    settings: ReferralsSettings,
    now: datetime,
) -> bool:
    async with database.session() as session:
        referral = await session.get(ReferralRow, referral_id)
        if referral is None or referral.state not in WATCHED:
            return False
        session.add(EscalationRow(referral_id=referral.id, deadline=overdue.kind.value,
                                  level=overdue.level.value, escalated_at=now))  # fmt: skip
        try:
            await session.flush()
        except IntegrityError:
            await session.rollback()  # another replica escalated it first
            return False
        aggregate = to_referral(referral, settings=settings)
        await save(session, aggregate, aggregate.escalate(overdue, now=now), row=referral)
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            return False
    return True


class OverdueChecker(PeriodicTask):
    """Runs `check_overdue` every `overdue_check_interval_s` next to the API (a background
    task of the service app); safe with several replicas (see `check_overdue`)."""

    name = "overdue check"

    def __init__(self, database: Database, settings: ReferralsSettings) -> None:
        super().__init__(interval_s=settings.overdue_check_interval_s)
        self.database = database
        self.settings = settings

    async def run_once(self) -> object:
        return await check_overdue(self.database, settings=self.settings)
