"""Test data for intake: a family whose identity values must never leak."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from homeward.common.contracts import referrals as contracts
from homeward.common.testing.apps import ServiceHarness
from homeward.common.testing.idp import RunningIdentityProvider

COORDINATOR = "coordinator.riverton"
SCHOOL = ("riverton-primary-school", "school")
POLICE = ("riverton-police", "police")


def family(**overrides: Any) -> dict[str, Any]:
    """A mother and two children, with identities: the case the field reports describe."""
    body: dict[str, Any] = {
        "return_operation": "2025 spring repatriation",
        "arrival_date": "2025-03-01",
        "placement": "rehabilitation-centre",
        "persons": [
            {
                "ref": "mother",
                "household_role": "mother",
                "birth_year": 1994,
                "sex": "female",
                "identity": {
                    "full_name": "Zaynab Qorvath-Elmira",
                    "date_of_birth": "1994-05-17",
                    "place_of_birth": "Vantmoor",
                    "national_id": "NID-88412093",
                    "address": "14 Quillon Lane, Riverton",
                    "phone": "+31 6 4417 2290",
                },
            },
            {
                "ref": "child-1",
                "household_role": "child",
                "birth_year": 2016,
                "sex": "female",
                "guardian_ref": "mother",
                "identity": {"full_name": "Liyana Qorvath", "date_of_birth": "2016-09-03"},
            },
            {
                "ref": "child-2",
                "household_role": "child",
                "birth_year": 2019,
                "sex": "male",
                "guardian_ref": "mother",
                "identity": {"full_name": "Idris Qorvath", "national_id": "NID-99120577"},
            },
        ],
    }
    body.update(overrides)
    return body


# Every identity value in `family()`: none may appear in events, logs, lists or errors.
FAMILY_SECRETS = [
    "Zaynab Qorvath-Elmira",
    "Qorvath",
    "1994-05-17",
    "Vantmoor",
    "NID-88412093",
    "Quillon Lane",
    "+31 6 4417 2290",
    "Liyana",
    "2016-09-03",
    "Idris",
    "NID-99120577",
]


def in_days(days: int) -> str:
    """An ISO date relative to today, so validity rules do not rot as the calendar moves."""
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


async def feed_events(intake: Any, *events: Any) -> None:
    """Publish other services' events to intake's broker; wait until its consumer applied them."""
    from sqlmodel import col, select

    from homeward.common.events.inbox import ProcessedEvent
    from homeward.common.testing.kafka import wait_for
    from tests.referrals.helpers import produce

    producer = intake.broker.producer("intake-tests")
    await producer.start()
    try:
        ids = [await produce(producer, event) for event in events]
    finally:
        await producer.stop()

    async def applied() -> bool:
        async with intake.database.session() as session:
            query = select(ProcessedEvent.event_id).where(col(ProcessedEvent.event_id).in_(ids))
            return len((await session.exec(query)).all()) == len(ids)

    await wait_for(applied, timeout_s=15)


def second_riverton_coordinator(idp: RunningIdentityProvider, **claims: Any) -> dict[str, str]:
    """Headers of a riverton coordinator the demo realm does not have, as the issuer would
    mint their token (intake learns staff from tokens: one call and they can be assigned)."""
    claims = {"sub": "00000000-0000-4000-8000-0000000000c2",
              "preferred_username": "coordinator.riverton.2",
              "exp": int(time.time()) + 300} | claims  # fmt: skip
    return {"Authorization": f"Bearer {idp.sign(idp.valid_claims(**claims))}"}


class Referral:
    """One referral of the child, as referrals would announce its lifecycle."""

    def __init__(self, case: dict[str, Any], agency: tuple[str, str]) -> None:
        child = case["persons"][1]
        self.route = {
            "referral_id": str(uuid.uuid4()), "case_id": case["id"], "case_code": case["code"],
            "municipality": "riverton", "person_id": child["id"], "person_code": child["code"],
            "agency_id": agency[0], "agency_type": agency[1],
            "service_category": "school-enrolment", "priority": "routine",
        }  # fmt: skip

    def sent(self) -> contracts.ReferralSent:
        now = datetime.now(UTC)
        return contracts.ReferralSent(**self.route, state="requested", sent_at=now,
                                      acceptance_due_at=now + timedelta(days=2))  # fmt: skip

    def accepted(self) -> contracts.ReferralAccepted:
        now = datetime.now(UTC)
        return contracts.ReferralAccepted(**self.route, state="accepted", accepted_at=now,
                                          completion_due_at=now + timedelta(days=30))  # fmt: skip

    def started(self) -> contracts.ReferralStarted:
        return contracts.ReferralStarted(**self.route, state="in-progress",
                                         started_at=datetime.now(UTC))  # fmt: skip

    def completed(self) -> contracts.ReferralCompleted:
        return contracts.ReferralCompleted(**self.route, state="completed", outcome="achieved",
                                           completed_at=datetime.now(UTC))  # fmt: skip


async def case_with_school_consent(intake: ServiceHarness) -> dict[str, Any]:
    """The family; the mother consents, for her child, to identity and education for schools."""
    response = await intake.call(COORDINATOR, "POST", "/v1/cases", json=family())
    assert response.status_code == 201, response.text
    case = response.json()
    mother, child = case["persons"][0]["id"], case["persons"][1]["id"]
    consent = await intake.call(
        COORDINATOR, "POST", f"/v1/cases/{case['id']}/persons/{child}/consents",
        json={"recipient_agency_type": "school", "categories": ["identity", "education"],
              "legal_basis": "consent", "given_by_person_id": mother,
              "valid_until": in_days(180)},
    )  # fmt: skip
    assert consent.status_code == 201, consent.text
    case["consent_id"] = consent.json()["id"]
    return case
