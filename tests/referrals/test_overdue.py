"""Overdue detection: one escalation event per referral, deadline and level, even with two
checkers racing; and outcome indicators with small counts suppressed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from homeward.common.db import utcnow
from homeward.referrals.handlers.deadlines import check_overdue
from tests.referrals.conftest import ReferralsHarness
from tests.referrals.helpers import referral_body

COORDINATOR = "coordinator.riverton"


async def test_two_checkers_escalate_once_per_level(referrals: ReferralsHarness) -> None:
    family = await referrals.consented_family()
    assert (await referrals.create_referral(referral_body(family)))["state"] == "requested"
    deadline = referrals.settings.acceptance_deadline("school-enrolment")

    async def both(at_offset: timedelta) -> None:
        now = utcnow() + at_offset
        await asyncio.gather(*(check_overdue(referrals.database, settings=referrals.settings,
                                             now=now) for _ in range(2)))  # fmt: skip

    await both(deadline + timedelta(minutes=1))
    levels = [r.data["level"] for r in await referrals.outbox("homeward.referral.escalated.v1")]
    assert levels == ["coordinator"]
    await both(deadline * 2 + timedelta(minutes=1))
    await both(deadline * 3)
    events = await referrals.outbox("homeward.referral.escalated.v1")
    assert [(e.data["deadline"], e.data["level"]) for e in events] == [
        ("acceptance", "coordinator"), ("acceptance", "supervisor")
    ]  # fmt: skip


async def test_indicators_suppress_small_counts(referrals: ReferralsHarness) -> None:
    family = await referrals.consented_family()
    for _ in range(6):
        created = await referrals.create_referral(referral_body(family))
        path = f"/v1/referrals/{created['id']}"
        await referrals.call("school.riverton", "POST", f"{path}/accept", json={})
    await referrals.call("school.riverton", "POST", f"{path}/complete",
                         json={"outcome": "achieved"})  # fmt: skip
    response = await referrals.call("supervisor.riverton", "GET", "/v1/indicators")
    assert response.status_code == 200, response.text
    body = response.json()
    counts = {(r["service_category"], r["state"]): r["count"] for r in body["referrals"]}
    assert counts == {("school-enrolment", "accepted"): 5, ("school-enrolment", "completed"): "<5"}
    assert isinstance(body["median_hours_to_acceptance"], float)
    assert body["median_hours_to_completion"] == "<5"
    assert body["share_completed_achieved"] == "<5"
    assert (await referrals.call(COORDINATOR, "GET", "/v1/indicators")).status_code == 403
