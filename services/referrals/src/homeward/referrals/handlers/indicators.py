"""Outcome indicators of a municipality, with small counts suppressed."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.auth import Principal
from homeward.referrals.adapters.tables import ReferralRow
from homeward.referrals.domain.indicators import (
    suppressed_count,
    suppressed_median_hours,
    suppressed_share,
)
from homeward.referrals.domain.lifecycle import Outcome, ReferralState
from homeward.referrals.handlers.access import municipality_of


async def outcome_indicators(session: AsyncSession, *, principal: Principal) -> dict[str, Any]:
    municipality = municipality_of(principal)
    rows = (
        await session.exec(
            select(ReferralRow).where(
                ReferralRow.municipality == municipality,
                ReferralRow.state != ReferralState.ENTERED_IN_ERROR.value,
            )
        )
    ).all()
    by_category_state = Counter((row.service_category, row.state) for row in rows)
    to_acceptance = [
        (row.accepted_at - row.sent_at).total_seconds() / 3600
        for row in rows
        if row.sent_at and row.accepted_at
    ]
    to_completion = [
        (row.ended_at - row.sent_at).total_seconds() / 3600
        for row in rows
        if row.state == ReferralState.COMPLETED.value and row.sent_at and row.ended_at
    ]
    completed = [row for row in rows if row.state == ReferralState.COMPLETED.value]
    achieved = sum(1 for row in completed if row.outcome == Outcome.ACHIEVED.value)
    return {
        "municipality": municipality,
        "referrals": [
            {"service_category": category, "state": state, "count": suppressed_count(count)}
            for (category, state), count in sorted(by_category_state.items())
        ],
        "median_hours_to_acceptance": suppressed_median_hours(to_acceptance),
        "median_hours_to_completion": suppressed_median_hours(to_completion),
        "completed": suppressed_count(len(completed)),
        "share_completed_achieved": suppressed_share(achieved, len(completed)),
    }
