"""The lists behind the console's home cards: blocked referrals, several states at once, and
overdue referrals by the level their running deadline was escalated to."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeward.common.db import utcnow
from homeward.referrals.handlers.deadlines import check_overdue
from tests.referrals.conftest import ReferralsHarness
from tests.referrals.helpers import referral_body

COORDINATOR = "coordinator.riverton"


async def listed(referrals: ReferralsHarness, user: str = COORDINATOR, **params: Any) -> dict:
    response = await referrals.call(user, "GET", "/v1/referrals", params=params)
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["items"]}


async def test_blocked_keeps_the_referrals_a_gate_holds(referrals: ReferralsHarness) -> None:
    waiting = await referrals.create_referral(referral_body(await referrals.family()))
    sent = await referrals.create_referral(referral_body(await referrals.consented_family()))
    assert waiting["blocked_on"] == ["consent"] and sent["blocked_on"] == []

    assert set(await listed(referrals, blocked="true")) == {waiting["id"]}
    assert set(await listed(referrals, blocked="false")) == {sent["id"]}
    assert set(await listed(referrals, state=["draft", "requested"])) == {waiting["id"], sent["id"]}
    assert set(await listed(referrals, state="requested")) == {sent["id"]}


async def test_overdue_referrals_by_escalation_level(referrals: ReferralsHarness) -> None:
    family = await referrals.consented_family()
    late = await referrals.create_referral(referral_body(family))
    on_time = await referrals.create_referral(referral_body(family))
    deadline = referrals.settings.acceptance_deadline("school-enrolment")
    factor = referrals.settings.supervisor_escalation_factor
    await referrals.call("school.riverton", "POST", f"/v1/referrals/{on_time['id']}/accept",
                         json={})  # fmt: skip

    await check_overdue(referrals.database, settings=referrals.settings,
                        now=utcnow() + deadline + timedelta(minutes=1))  # fmt: skip
    overdue = await listed(referrals, escalated="coordinator")
    assert set(overdue) == {late["id"]}
    assert overdue[late["id"]]["escalation_level"] == "coordinator"
    assert await listed(referrals, escalated="supervisor") == {}
    everything = await listed(referrals)
    assert everything[on_time["id"]]["escalation_level"] is None

    await check_overdue(referrals.database, settings=referrals.settings,
                        now=utcnow() + deadline * factor + timedelta(minutes=1))  # fmt: skip
    assert set(await listed(referrals, escalated="coordinator")) == {late["id"]}
    at_supervisor = await listed(referrals, "supervisor.riverton", escalated="supervisor")
    assert at_supervisor[late["id"]]["escalation_level"] == "supervisor"

    # Accepted at last: its acceptance deadline no longer stands; the completion one runs.
    path = f"/v1/referrals/{late['id']}"
    await referrals.call("school.riverton", "POST", f"{path}/accept", json={})
    assert await listed(referrals, escalated="coordinator") == {}
    read = await referrals.call(COORDINATOR, "GET", path)
    assert read.json()["escalation_level"] is None


async def test_a_partner_lists_only_its_own_overdue_referrals(referrals: ReferralsHarness) -> None:
    family = await referrals.consented_family()
    late = await referrals.create_referral(referral_body(family))
    deadline = referrals.settings.acceptance_deadline("school-enrolment")
    await check_overdue(referrals.database, settings=referrals.settings,
                        now=utcnow() + deadline + timedelta(minutes=1))  # fmt: skip

    assert set(await listed(referrals, "school.riverton", escalated="coordinator")) == {late["id"]}
    assert await listed(referrals, "police.riverton", escalated="coordinator") == {}
    assert await listed(referrals, "coordinator.lakeside", escalated="coordinator") == {}


async def test_filters_outside_their_vocabulary_are_422(referrals: ReferralsHarness) -> None:
    for params in ({"escalated": "mayor"}, {"blocked": "perhaps"}, {"state": ["sent", "nope"]}):
        response = await referrals.call(COORDINATOR, "GET", "/v1/referrals", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/problem+json")
