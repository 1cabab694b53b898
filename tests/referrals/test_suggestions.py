"""Onward referrals suggested by a partner: the school serving a child suggests mental-health
support; the coordinator of the case's municipality drafts the referral in one step, or
declines with a reason code the school then sees. Events carry codes only, never the note."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import select

from homeward.referrals.adapters.tables import ReferralRow, SuggestionRow
from tests.referrals.conftest import ReferralsHarness
from tests.referrals.helpers import Family, referral_body

COORDINATOR, SCHOOL = "coordinator.riverton", "school.riverton"
NOTE = "Liyana cries in class every morning"  # free text: never on the bus
SUGGESTION = {"service_category": "mental-health", "reason": "need-observed", "note": NOTE}


async def _serving_school(referrals: ReferralsHarness) -> tuple[Family, dict[str, Any]]:
    family = await referrals.consented_family()
    referral = await referrals.create_referral(referral_body(family))
    accepted = await referrals.call(SCHOOL, "POST", f"/v1/referrals/{referral['id']}/accept",
                                    json={})  # fmt: skip
    assert accepted.status_code == 200
    return family, referral


async def _suggest(referrals: ReferralsHarness, referral: dict[str, Any]) -> dict[str, Any]:
    response = await referrals.call(
        SCHOOL, "POST", f"/v1/referrals/{referral['id']}/suggestions", json=SUGGESTION
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _count(referrals: ReferralsHarness, table: type) -> int:
    async with referrals.database.session() as session:
        return (await session.exec(select(func.count()).select_from(table))).one()


async def test_coordinator_turns_a_suggestion_into_a_draft_referral(
    referrals: ReferralsHarness,
) -> None:
    family, referral = await _serving_school(referrals)
    suggestion = await _suggest(referrals, referral)
    assert suggestion["status"] == "open" and suggestion["person_id"] == family.child
    again = await referrals.call(SCHOOL, "POST", f"/v1/referrals/{referral['id']}/suggestions",
                                 json=SUGGESTION)  # fmt: skip
    assert again.status_code == 409  # one open suggestion per person and service

    listed = await referrals.call(COORDINATOR, "GET", "/v1/suggestions?status=open")
    assert [s["id"] for s in listed.json()] == [suggestion["id"]]
    assert listed.json()[0]["note"] == NOTE  # the coordinator reads the partner's note
    assert (await referrals.call("coordinator.lakeside", "GET", "/v1/suggestions")).json() == []

    accept = f"/v1/suggestions/{suggestion['id']}/accept"
    accepted = await referrals.call(
        COORDINATOR, "POST", accept, json={"agency_id": "riverton-health-centre"}
    )
    assert accepted.status_code == 200, accepted.text
    drafted = accepted.json()
    assert drafted["status"] == "accepted" and drafted["referral_id"]
    draft = await referrals.call(COORDINATOR, "GET", f"/v1/referrals/{drafted['referral_id']}")
    assert draft.json()["state"] == "draft"
    assert draft.json()["service_category"] == "mental-health"
    assert draft.json()["person_id"] == family.child
    assert (
        await referrals.call(COORDINATOR, "POST", accept, json={"agency_id": "x"})
    ).status_code == 409

    types = [row.type for row in await referrals.outbox()]
    assert "homeward.suggestion.made.v1" in types and "homeward.suggestion.accepted.v1" in types
    for row in await referrals.outbox():
        assert NOTE not in str(row.data) and "cries" not in str(row.data)
    [made] = [row.data for row in await referrals.outbox("homeward.suggestion.made.v1")]
    assert made["reason_code"] == "need-observed"
    assert made["suggesting_agency_id"] == "riverton-primary-school"


async def test_declined_with_a_reason_the_partner_sees(referrals: ReferralsHarness) -> None:
    _, referral = await _serving_school(referrals)
    suggestion = await _suggest(referrals, referral)
    decline = f"/v1/suggestions/{suggestion['id']}/decline"
    for body in ({}, {"reason": "I do not like it"}):
        assert (await referrals.call(COORDINATOR, "POST", decline, json=body)).status_code == 422
    declined = await referrals.call(COORDINATOR, "POST", decline, json={"reason": "sequencing"})
    assert declined.status_code == 200 and declined.json()["decline_reason"] == "sequencing"
    seen = (await referrals.call(SCHOOL, "GET", "/v1/suggestions")).json()
    assert [(s["status"], s["decline_reason"]) for s in seen] == [("declined", "sequencing")]
    assert (await referrals.call("police.riverton", "GET", "/v1/suggestions")).json() == []
    [event] = [row.data for row in await referrals.outbox("homeward.suggestion.declined.v1")]
    assert event["decline_reason"] == "sequencing"


async def test_only_a_partner_serving_the_person_may_suggest(referrals: ReferralsHarness) -> None:
    family = await referrals.consented_family()
    sent = await referrals.create_referral(referral_body(family))
    path = f"/v1/referrals/{sent['id']}/suggestions"
    not_yet = await referrals.call(SCHOOL, "POST", path, json=SUGGESTION)
    assert not_yet.status_code == 409  # sent, not accepted: the school does not serve yet
    await referrals.call(SCHOOL, "POST", f"/v1/referrals/{sent['id']}/accept", json={})
    own_service = {**SUGGESTION, "service_category": "school-enrolment"}
    same = await referrals.call(SCHOOL, "POST", path, json=own_service)
    assert same.status_code == 422
    for user in ("police.riverton", "health.riverton"):  # another agency's referral
        assert (await referrals.call(user, "POST", path, json=SUGGESTION)).status_code == 404
    for user in (COORDINATOR, "supervisor.riverton", "admin", "auditor"):
        assert (await referrals.call(user, "POST", path, json=SUGGESTION)).status_code == 403
    assert (await referrals.http.post(path, json=SUGGESTION)).status_code == 401
    assert (await referrals.http.post(path, json={"reason": "bad"})).status_code == 401
    for bad in (
        {**SUGGESTION, "reason": "gut-feeling"},
        {**SUGGESTION, "note": "x" * 1001},
        {**SUGGESTION, "service_category": "astrology"},
        {"reason": "need-observed"},
    ):
        response = await referrals.call(SCHOOL, "POST", path, json=bad)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
    completed = await referrals.call(SCHOOL, "POST", f"/v1/referrals/{sent['id']}/complete",
                                     json={"outcome": "achieved"})  # fmt: skip
    assert completed.status_code == 200
    ended = await referrals.call(SCHOOL, "POST", path, json=SUGGESTION)
    assert ended.status_code == 409
    assert await _count(referrals, SuggestionRow) == 0


async def test_deciding_is_the_coordinators_of_the_case(referrals: ReferralsHarness) -> None:
    _, referral = await _serving_school(referrals)
    suggestion = await _suggest(referrals, referral)
    accept = f"/v1/suggestions/{suggestion['id']}/accept"
    decline = f"/v1/suggestions/{suggestion['id']}/decline"
    body = {"agency_id": "riverton-health-centre"}
    for user in (SCHOOL, "supervisor.riverton", "admin"):
        assert (await referrals.call(user, "POST", accept, json=body)).status_code == 403
    hidden = await referrals.call("coordinator.lakeside", "POST", accept, json=body)
    missing = await referrals.call(COORDINATOR, "POST", "/v1/suggestions/nope/accept", json=body)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == missing.json()["detail"]
    assert (
        await referrals.call("coordinator.lakeside", "POST", decline, json={"reason": "other"})
    ).status_code == 404
    assert (await referrals.http.post(accept, json=body)).status_code == 401

    referrals_before = await _count(referrals, ReferralRow)
    # An agency that does not offer the service: 422, and the suggestion stays open.
    wrong = await referrals.call(COORDINATOR, "POST", accept, json={"agency_id": "riverton-police"})
    assert wrong.status_code == 422
    assert await _count(referrals, ReferralRow) == referrals_before
    listed = (await referrals.call(COORDINATOR, "GET", "/v1/suggestions")).json()
    assert [s["status"] for s in listed] == ["open"]
    assert not await referrals.outbox("homeward.suggestion.accepted.v1")


async def test_a_suggestion_follows_its_case_to_another_municipality(
    referrals: ReferralsHarness,
) -> None:
    family, referral = await _serving_school(referrals)
    suggestion = await _suggest(referrals, referral)
    await referrals.feed(family.transferred("lakeside"))
    assert (await referrals.call(COORDINATOR, "GET", "/v1/suggestions")).json() == []
    moved = (await referrals.call("coordinator.lakeside", "GET", "/v1/suggestions")).json()
    assert [s["id"] for s in moved] == [suggestion["id"]]
    decline = f"/v1/suggestions/{suggestion['id']}/decline"
    body = {"reason": "no-agency-available"}
    assert (await referrals.call(COORDINATOR, "POST", decline, json=body)).status_code == 404
    declined = await referrals.call("coordinator.lakeside", "POST", decline, json=body)
    assert declined.status_code == 200
    [event] = [row.data for row in await referrals.outbox("homeward.suggestion.declined.v1")]
    assert event["municipality"] == "lakeside"
