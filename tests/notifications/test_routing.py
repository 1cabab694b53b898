"""Each routing rule end to end: events through the consumer's handlers (in-memory broker)
reach exactly the callers the rules table names, and nobody else."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from homeward.common.contracts.referrals import ReferralOverdue
from homeward.common.events import registry
from homeward.common.events.inbox import ProcessedEvent
from homeward.common.testing.kafka import wait_for
from homeward.notifications.domain.facts import RoutedEvent
from homeward.notifications.domain.routing import RULES, route
from homeward.notifications.domain.scopes import Recipient
from tests.notifications.conftest import NotificationsHarness
from tests.notifications.helpers import (
    AT,
    PERSON,
    RIVERTON_CASE,
    case_registered,
    coordinator_assigned,
    publish,
    referral_event,
)

Event = tuple[str, dict[str, Any]]

# Everyone with an inbox: each municipal role in both towns, every partner, admin, systems.
CALLERS = (
    "coordinator.riverton", "supervisor.riverton", "documents.riverton",
    "coordinator.lakeside", "supervisor.lakeside", "documents.lakeside",
    "police.riverton", "school.riverton", "health.riverton", "religious.riverton",
    "admin", "police-system", "school-system",
)  # fmt: skip
POLICE = {"police.riverton", "police-system"}  # the agency's staff and its system
OTHER_PERSON = "7b2c1d4f-0000-4000-8000-000000000099"
SCHOOL_REFERRAL = "8c3d2e5a-0000-4000-8000-000000000010"
OTHER_POLICE_REFERRAL = "8c3d2e5a-0000-4000-8000-000000000011"


def transfer(verb: str, *, to: str = "lakeside", **when: str) -> Event:
    return f"homeward.{verb}.v1", {
        "transfer_id": "9d4e3f6b-0000-4000-8000-000000000005",
        "case_id": RIVERTON_CASE,
        "case_code": "HW-7KQ3-M9",
        "from_municipality": "riverton",
        "to_municipality": to,
        **when,
    }


def document(verb: str, **when: str) -> Event:
    return f"homeward.document_record.{verb}.v1", {
        "case_id": RIVERTON_CASE,
        "case_code": "HW-7KQ3-M9",
        "municipality": "riverton",
        "person_id": PERSON,
        "record_id": "2f6a5b8d-0000-4000-8000-000000000007",
        "document_type": "passport",
        "expiry_on": "2025-05-01",
        **when,
    }


def consent_revoked(agency_type: str = "police", person: str = PERSON) -> Event:
    return "homeward.consent.revoked.v1", {
        "consent_id": "3a7b6c9e-0000-4000-8000-000000000008",
        "case_id": RIVERTON_CASE,
        "case_code": "HW-7KQ3-M9",
        "person_id": person,
        "recipient_agency_type": agency_type,
        "revoked_at": AT,
    }


def closure(verb: str, **when: str) -> Event:
    return f"homeward.case.{verb}.v1", {
        "closure_request_id": "4b8c7d0f-0000-4000-8000-000000000012",
        "case_id": RIVERTON_CASE,
        "case_code": "HW-7KQ3-M9",
        "municipality": "riverton",
        "reason": "moved-abroad",
        **when,
    }


def suggestion(verb: str, **when: str) -> Event:
    return f"homeward.suggestion.{verb}.v1", {
        "suggestion_id": "5c9d8e1a-0000-4000-8000-000000000013",
        "case_id": RIVERTON_CASE,
        "case_code": "HW-7KQ3-M9",
        "municipality": "riverton",
        "person_id": PERSON,
        "person_code": "P-4TXR-8N",
        "suggesting_agency_id": "riverton-primary-school",
        "suggesting_agency_type": "school",
        "service_category": "mental-health",
        "reason_code": "need-observed",
        **when,
    }


ASSIGNED = [case_registered(), coordinator_assigned()]
SCHOOL = {"school.riverton", "school-system"}
# Consent for police data sharing: a police referral for the person, a school referral for
# the same person (another agency type) and a police referral for another person.
REFERRED = [
    case_registered(),
    referral_event("sent"),
    referral_event("sent", agency="riverton-primary-school", agency_type="school",
                   referral_id=SCHOOL_REFERRAL),
]  # fmt: skip

# (seed events, the event under test, who is told about it)
CASES: dict[str, tuple[list[Event], Event, set[str]]] = {
    "consent revoked: the police, relying on it": (
        REFERRED, consent_revoked("police"), POLICE,
    ),
    "consent revoked: the school, relying on it": (
        REFERRED, consent_revoked("school"), {"school.riverton", "school-system"},
    ),
    "consent revoked: nobody once the referral ended": (
        [*REFERRED, referral_event("completed")], consent_revoked("police"), set(),
    ),
    "consent revoked: nobody for another person's referral": (
        [case_registered(), referral_event("sent", person_id=OTHER_PERSON,
                                           referral_id=OTHER_POLICE_REFERRAL)],
        consent_revoked("police"), set(),
    ),
    "transfer declined: the sending coordinators": (
        ASSIGNED, transfer("transfer.declined", declined_at=AT), {"coordinator.riverton"},
    ),
    "case transferred: the receiving coordinators": (
        ASSIGNED, transfer("case.transferred", transferred_at=AT), {"coordinator.lakeside"},
    ),
    "referral reassigned: the new municipality's coordinators": (
        ASSIGNED, referral_event("reassigned", municipality="lakeside"), {"coordinator.lakeside"},
    ),
    "document expiry warned: documents officers and the coordinator": (
        ASSIGNED, document("expiry_warned", warned_at=AT),
        {"documents.riverton", "coordinator.riverton"},
    ),
    "document expired: documents officers and the coordinator": (
        ASSIGNED, document("expired", expired_at=AT),
        {"documents.riverton", "coordinator.riverton"},
    ),
    "referral sent: the receiving agency": (ASSIGNED, referral_event("sent"), POLICE),
    "referral completed: the coordinator": (
        ASSIGNED, referral_event("completed"), {"coordinator.riverton"},
    ),
    "referral failed: the coordinator": (
        ASSIGNED, referral_event("failed"), {"coordinator.riverton"},
    ),
    "referral cancelled: the receiving agency and the coordinator": (
        [*ASSIGNED, referral_event("sent")], referral_event("cancelled"),
        POLICE | {"coordinator.riverton"},
    ),
    "referral cancelled before the agency heard of it: only the coordinator": (
        ASSIGNED, referral_event("cancelled"), {"coordinator.riverton"},
    ),
    # Entered in error is a draft's end (SDOHCC): the agency never had it, so it hears nothing.
    "referral voided: nobody outside the municipality": (
        [*ASSIGNED, referral_event("created")],
        referral_event("voided"), set(),
    ),
    "consent revoked: not the agency of a draft it never received": (
        [case_registered(), referral_event("created")],
        consent_revoked("police"), set(),
    ),
    "closure requested: the municipality's supervisors": (
        ASSIGNED, closure("closure_requested", requested_at=AT), {"supervisor.riverton"},
    ),
    "closure rejected: the coordinator": (
        ASSIGNED, closure("closure_rejected", rejection_reason="plan-review-first",
                          rejected_at=AT), {"coordinator.riverton"},
    ),
    "suggestion made: the coordinator": (
        ASSIGNED, suggestion("made", suggested_at=AT), {"coordinator.riverton"},
    ),
    "suggestion accepted: the suggesting agency, not the draft's": (
        ASSIGNED, suggestion("accepted", drafted_referral_id=SCHOOL_REFERRAL, accepted_at=AT),
        SCHOOL,
    ),
    "suggestion declined: the suggesting agency": (
        ASSIGNED, suggestion("declined", decline_reason="sequencing", declined_at=AT), SCHOOL,
    ),
}  # fmt: skip


async def _publish_and_settle(harness: NotificationsHarness, events: list[Event]) -> None:
    """Publish in order, each once the previous one was handled: events on different
    topics would otherwise race, and a rule reads the facts earlier events taught."""
    for event_type, data in events:
        before = await _handled(harness)
        await publish(harness.broker, event_type, data)

        async def handled() -> bool:
            return await _handled(harness) > before  # noqa: B023 (awaited in this iteration)

        await wait_for(handled)


async def _handled(harness: NotificationsHarness) -> int:
    async with harness.database.sessions() as session:
        query = select(func.count()).select_from(ProcessedEvent)
        return (await session.exec(query)).one()


@pytest.mark.parametrize("case", sorted(CASES))
async def test_each_rule_reaches_exactly_its_recipients(
    notifications: NotificationsHarness, case: str
) -> None:
    seeds, (event_type, data), expected = CASES[case]
    await _publish_and_settle(notifications, seeds)
    await _publish_and_settle(notifications, [(event_type, data)])

    told = set()
    for caller in CALLERS:
        items = [i for i in await notifications.inbox(caller) if i["event_type"] == event_type]
        assert len(items) <= 1, (caller, items)
        if items:
            told.add(caller)
    assert told == expected


def test_every_rule_names_a_published_contract() -> None:
    """A rule for an event nobody publishes (as `referral.overdue` was) can never fire."""
    dead = [rule for rule in RULES if registry.model_for(rule.event_type) is not rule]
    assert dead == []
    assert all(getattr(rule, "event_type", None) for rule in RULES)


def test_overdue_escalates_to_the_supervisor_at_the_supervisor_level() -> None:
    _, data = referral_event("escalated")
    coordinator = ReferralOverdue.model_validate(data)
    supervisor = ReferralOverdue.model_validate(data | {"level": "supervisor"})
    first = route(RoutedEvent(contract=coordinator))
    second = route(RoutedEvent(contract=supervisor))
    assert first and first.recipients == [Recipient.parse("role:coordinator@riverton")]
    assert second and second.recipients == [Recipient.parse("role:supervisor@riverton")]
