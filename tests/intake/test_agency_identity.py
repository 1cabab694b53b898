"""Need-to-know identity: an agency that accepted a referral for a person, with consent to
`identity` for its agency type, may reveal that person's name and birth date, audited, until
the referral ends. Everyone else hears 404 (partners) or 403 (other roles)."""

from __future__ import annotations

import uuid
from typing import Any

from homeward.common.testing.apps import ServiceHarness
from tests.intake.intake_helpers import (
    COORDINATOR,
    FAMILY_SECRETS,
    POLICE,
    SCHOOL,
    Referral,
    case_with_school_consent,
    feed_events,
)

PURPOSE = {"X-Purpose": "documentation"}


def _reveal(case: dict[str, Any]) -> str:
    return f"/v1/agency/persons/{case['persons'][1]['id']}/identity"


async def _school_token(intake: ServiceHarness) -> dict[str, str]:
    token = await intake.idp.client_token("school-system", "school-system-secret")
    return {"Authorization": f"Bearer {token}", **PURPOSE}


async def test_accepting_agency_with_consent_reveals_name_and_birth_date(
    intake: ServiceHarness,
) -> None:
    case = await case_with_school_consent(intake)
    school = Referral(case, SCHOOL)
    await feed_events(intake, school.sent())
    before = await intake.call("school.riverton", "GET", _reveal(case), headers=PURPOSE)
    assert before.status_code == 404  # sent, not yet accepted: no need to know

    await feed_events(intake, school.accepted())
    revealed = await intake.call("school.riverton", "GET", _reveal(case), headers=PURPOSE)
    assert revealed.status_code == 200, revealed.text
    assert revealed.json() == {
        "person_id": case["persons"][1]["id"],
        "person_code": case["persons"][1]["code"],
        "full_name": "Liyana Qorvath",
        "date_of_birth": "2016-09-03",
    }
    # The partner's system reads the same through the API, with its client credentials.
    by_system = await intake.http.get(_reveal(case), headers=await _school_token(intake))
    assert by_system.status_code == 200 and by_system.json()["full_name"] == "Liyana Qorvath"

    trail = await intake.call(
        "auditor", "GET", "/v1/audit", params={"agency_id": SCHOOL[0], "action": "identity.read"}
    )
    entries = trail.json()["items"]
    assert len(entries) == 2
    for entry in entries:
        assert entry["case_code"] == case["code"]
        assert entry["subject_code"] == case["persons"][1]["code"]
        assert entry["fields"] == ["date_of_birth", "full_name"]
        assert entry["purpose"] == "documentation"


async def test_no_reveal_without_consent_referral_or_after_the_referral_ends(
    intake: ServiceHarness,
) -> None:
    case = await case_with_school_consent(intake)
    school, police = Referral(case, SCHOOL), Referral(case, POLICE)
    await feed_events(intake, school.sent(), school.accepted(), police.sent(), police.accepted())

    missing = await intake.call(
        "police.riverton", "GET", f"/v1/agency/persons/{uuid.uuid4()}/identity", headers=PURPOSE
    )
    for user in ("police.riverton", "health.riverton"):  # no consent; no referral at all
        refused = await intake.call(user, "GET", _reveal(case), headers=PURPOSE)
        assert refused.status_code == 404, user
        assert refused.json()["detail"] == missing.json()["detail"]
        assert refused.headers["content-type"].startswith("application/problem+json")
        for secret in FAMILY_SECRETS:
            assert secret not in refused.text

    await feed_events(intake, school.started())
    assert (
        await intake.call("school.riverton", "GET", _reveal(case), headers=PURPOSE)
    ).status_code == 200
    # The referral ends; a replayed acceptance (a dead letter, say) does not reopen access.
    await feed_events(intake, school.completed(), school.accepted())
    ended = await intake.call("school.riverton", "GET", _reveal(case), headers=PURPOSE)
    assert ended.status_code == 404
    assert ended.json()["detail"] == missing.json()["detail"]


async def test_revoked_consent_ends_the_reveal(intake: ServiceHarness) -> None:
    case = await case_with_school_consent(intake)
    school = Referral(case, SCHOOL)
    await feed_events(intake, school.sent(), school.accepted())
    assert (
        await intake.call("school.riverton", "GET", _reveal(case), headers=PURPOSE)
    ).status_code == 200
    child = case["persons"][1]["id"]
    revoked = await intake.call(
        COORDINATOR, "POST",
        f"/v1/cases/{case['id']}/persons/{child}/consents/{case['consent_id']}/revoke",
    )  # fmt: skip
    assert revoked.status_code == 200
    assert (
        await intake.call("school.riverton", "GET", _reveal(case), headers=PURPOSE)
    ).status_code == 404


async def test_roles_tokens_and_purposes(intake: ServiceHarness) -> None:
    case = await case_with_school_consent(intake)
    school = Referral(case, SCHOOL)
    await feed_events(intake, school.sent(), school.accepted())
    assert (await intake.http.get(_reveal(case))).status_code == 401  # before any validation
    coordinators_read = f"/v1/cases/{case['id']}/persons/{case['persons'][1]['id']}/identity"
    assert (await intake.http.get(coordinators_read)).status_code == 401  # likewise
    bad_token = {"Authorization": "Bearer not-a-token"}
    assert (await intake.http.get(_reveal(case), headers=bad_token)).status_code == 401
    for user in (COORDINATOR, "supervisor.riverton", "documents.riverton", "auditor", "admin"):
        response = await intake.call(user, "GET", _reveal(case), headers=PURPOSE)
        assert response.status_code == 403, user
    for headers in ({}, {"X-Purpose": "curiosity"}):
        response = await intake.call("school.riverton", "GET", _reveal(case), headers=headers)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
    trail = await intake.call("auditor", "GET", "/v1/audit", params={"agency_id": SCHOOL[0]})
    assert trail.json()["items"] == []  # refused reads leave no trace of a read


async def test_erased_identities_are_gone_for_the_agency_too(intake: ServiceHarness) -> None:
    case = await case_with_school_consent(intake)
    school = Referral(case, SCHOOL)
    await feed_events(intake, school.sent(), school.accepted())
    erased = await intake.call("supervisor.riverton", "POST", f"/v1/cases/{case['id']}/erasure")
    assert erased.status_code == 200
    gone = await intake.call("school.riverton", "GET", _reveal(case), headers=PURPOSE)
    assert gone.status_code == 410
