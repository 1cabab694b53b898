"""Referrals through the API: create, send, the agency's side, history, 409s and 422s."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import select

from homeward.referrals.adapters.tables import ReferralRow
from tests.referrals.conftest import ReferralsHarness
from tests.referrals.helpers import referral_body

COORDINATOR, SCHOOL = "coordinator.riverton", "school.riverton"


async def test_closed_loop_from_creation_to_completion(referrals: ReferralsHarness) -> None:
    family = await referrals.consented_family()
    referral = await referrals.create_referral(referral_body(family))
    assert referral["state"] == "requested" and referral["blocked_on"] == []
    path = f"/v1/referrals/{referral['id']}"
    for action, body, state in [
        ("accept", {}, "accepted"),
        ("start", {}, "in-progress"),
        ("hold", {"reason": "person-unreachable"}, "on-hold"),
        ("resume", {}, "in-progress"),
        ("complete", {"outcome": "achieved", "note": "enrolled"}, "completed"),
    ]:
        response = await referrals.call(SCHOOL, "POST", f"{path}/{action}", json=body)
        assert response.status_code == 200, (action, response.text)
        assert response.json()["state"] == state
    detail = (await referrals.call(COORDINATOR, "GET", path)).json()
    assert [h["action"] for h in detail["history"]] == [
        "create", "send", "accept", "start", "hold", "resume", "complete"
    ]  # fmt: skip
    hold = detail["history"][4]
    assert hold["reason_code"] == "person-unreachable" and hold["actor"] and hold["at"]
    assert detail["outcome"] == "achieved"
    types = [row.type for row in await referrals.outbox()]
    assert types == [
        "homeward.referral.created.v1", "homeward.referral.sent.v1",
        "homeward.referral.accepted.v1", "homeward.referral.started.v1",
        "homeward.referral.held.v1", "homeward.referral.resumed.v1",
        "homeward.referral.completed.v1",
    ]  # fmt: skip
    assert all("year 4" not in str(row.data) for row in await referrals.outbox())


async def test_illegal_transition_is_409_with_allowed_states(referrals: ReferralsHarness) -> None:
    family = await referrals.consented_family()
    referral = await referrals.create_referral(referral_body(family))
    response = await referrals.call(SCHOOL, "POST", f"/v1/referrals/{referral['id']}/start",
                                    json={})  # fmt: skip
    assert response.status_code == 409
    assert sorted(response.json()["allowed_next_states"]) == [
        "accepted", "cancelled", "rejected"
    ]  # fmt: skip


async def test_entered_in_error_only_from_draft(referrals: ReferralsHarness) -> None:
    """SDOHCC: a sent referral may have been acted upon, so it is cancelled, never voided."""
    family = await referrals.consented_family()
    sent = await referrals.create_referral(referral_body(family))
    response = await referrals.call(COORDINATOR, "POST",
                                    f"/v1/referrals/{sent['id']}/entered-in-error",
                                    json={"reason": "duplicate"})  # fmt: skip
    assert response.status_code == 409
    assert sorted(response.json()["allowed_next_states"]) == ["accepted", "cancelled", "rejected"]
    draft = await referrals.create_referral(referral_body(family, send=False))
    voided = await referrals.call(COORDINATOR, "POST",
                                  f"/v1/referrals/{draft['id']}/entered-in-error",
                                  json={"reason": "duplicate"})  # fmt: skip
    assert voided.status_code == 200 and voided.json()["state"] == "entered-in-error"


async def test_on_hold_referral_can_be_completed(referrals: ReferralsHarness) -> None:
    family = await referrals.consented_family()
    referral = await referrals.create_referral(referral_body(family))
    path = f"/v1/referrals/{referral['id']}"
    for action, body in [("accept", {}), ("start", {}), ("hold", {"reason": "other"}),
                         ("complete", {"outcome": "partly-achieved"})]:  # fmt: skip
        response = await referrals.call(SCHOOL, "POST", f"{path}/{action}", json=body)
        assert response.status_code == 200, (action, response.text)
    assert response.json()["state"] == "completed"


async def test_reasons_and_outcomes_are_required(referrals: ReferralsHarness) -> None:
    family = await referrals.consented_family()
    referral = await referrals.create_referral(referral_body(family))
    path = f"/v1/referrals/{referral['id']}"
    assert (await referrals.call(SCHOOL, "POST", f"{path}/reject", json={})).status_code == 422
    assert (await referrals.call(COORDINATOR, "POST", f"{path}/cancel", json={})).status_code == 422
    await referrals.call(SCHOOL, "POST", f"{path}/accept", json={})
    assert (await referrals.call(SCHOOL, "POST", f"{path}/complete", json={})).status_code == 422
    rejected = await referrals.call(COORDINATOR, "POST", f"{path}/cancel",
                                    json={"reason": "needs-changed"})  # fmt: skip
    assert rejected.json()["state"] == "cancelled"


async def _count(referrals: ReferralsHarness) -> int:
    async with referrals.database.session() as session:
        return (await session.exec(select(func.count()).select_from(ReferralRow))).one()


async def test_bad_input_is_422_and_writes_nothing(referrals: ReferralsHarness) -> None:
    family = await referrals.family()
    other = await referrals.family()
    # An inactive agency, by the directory admin.
    deactivated = await referrals.call("admin", "PUT", "/v1/agencies/riverton-police", json={
        "name": "Riverton Police", "agency_type": "police", "service_categories": ["legal-aid"],
        "municipalities": ["riverton"], "active": False})  # fmt: skip
    assert deactivated.status_code == 200
    cases = {
        "unknown agency": {"agency_id": "nowhere-agency"},
        "inactive": {"agency_id": "riverton-police", "service_category": "legal-aid"},
        "other municipality": {"agency_id": "lakeside-social-services",
                               "service_category": "basic-needs"},
        "category not offered": {"service_category": "housing"},
        "person not in case": {"person_id": other.child},
        "unknown category": {"service_category": "astrology"},
        "unknown data category": {"disclose": ["horoscope"]},
    }  # fmt: skip
    for name, override in cases.items():
        response = await referrals.call(COORDINATOR, "POST", "/v1/referrals",
                                        json=referral_body(family, **override))  # fmt: skip
        assert response.status_code == 422, (name, response.text)
        assert response.json()["detail"], name
    assert await _count(referrals) == 0
    assert await referrals.outbox() == []


async def test_the_agency_sees_when_its_answer_is_due(referrals: ReferralsHarness) -> None:
    """Acceptance is due a span after sending, completion a span after accepting; none after."""
    settings = referrals.settings
    family = await referrals.consented_family()
    referral = await referrals.create_referral(referral_body(family))
    path = f"/v1/referrals/{referral['id']}"
    seen = (await referrals.call(SCHOOL, "GET", path)).json()
    span = settings.acceptance_deadline(seen["service_category"])
    sent = datetime.fromisoformat(seen["sent_at"])
    assert datetime.fromisoformat(seen["due_at"]) == sent + span
    accepted = (await referrals.call(SCHOOL, "POST", f"{path}/accept", json={})).json()
    span = settings.completion_target(seen["service_category"])
    due = datetime.fromisoformat(accepted["due_at"])
    assert due == datetime.fromisoformat(accepted["accepted_at"]) + span
    listed = (await referrals.call(SCHOOL, "GET", "/v1/referrals")).json()["items"]
    assert next(r for r in listed if r["id"] == referral["id"])["due_at"] == accepted["due_at"]
    done = await referrals.call(SCHOOL, "POST", f"{path}/complete", json={"outcome": "achieved"})
    assert done.json()["due_at"] is None
