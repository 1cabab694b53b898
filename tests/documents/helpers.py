"""Test data and helpers for documents: intake and referrals events, waiting, reading topics."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from homeward.common.contracts.documents import DOCUMENTS_RECORDS_TOPIC
from homeward.common.contracts.intake import PersonAdded
from homeward.common.contracts.referrals import (
    ReferralBlocked,
    ReferralCreated,
    ReferralFacts,
    ReferralRoute,
    ReferralSent,
    ReferralUnblocked,
)
from homeward.common.events import CloudEvent, EventContract, InMemoryBroker
from homeward.common.testing.kafka import wait_for

__all__ = ["wait_for"]

OFFICER, OTHER_OFFICER = "documents.riverton", "documents.lakeside"
SCHOOL_AGENCY = "riverton-primary-school"


def now() -> datetime:
    return datetime.now(UTC)


def days_from_today(days: int) -> date:
    return datetime.now(UTC).date() + timedelta(days=days)


def person_added(
    *, case_id: uuid.UUID | None = None, age_group: str = "child", municipality: str = "riverton"
) -> PersonAdded:
    return PersonAdded(
        case_id=case_id or uuid.uuid4(),
        case_code="HW-7KQ3-M9",
        municipality=municipality,
        person_id=uuid.uuid4(),
        person_code=f"P-{uuid.uuid4().hex[:4].upper()}-8N",
        household_role="child" if age_group == "child" else "mother",
        birth_year=2017 if age_group == "child" else 1994,
        sex="female",
        age_group=age_group,
    )


def referral_blocked(
    person: PersonAdded,
    *,
    category: str = "school-enrolment",
    missing: list[list[str]] | None = None,
    agency_id: str = SCHOOL_AGENCY,
    agency_type: str = "school",
) -> ReferralBlocked:
    return ReferralBlocked(
        **_new_route(person, category=category, agency_id=agency_id, agency_type=agency_type),
        blocked_on="documents",
        missing_documents=missing if missing is not None else [["birth-certificate"]],
        blocked_at=now(),
    )


def referral_unblocked(blocked: ReferralBlocked) -> ReferralUnblocked:
    return ReferralUnblocked(**_fields_of(blocked, ReferralRoute), unblocked_at=now())


def referral_sent(blocked: ReferralRoute, person: PersonAdded) -> ReferralSent:
    """The coordinator sent the referral `blocked` announced: now it is in the agency's hands."""
    return ReferralSent(**_fields_of(blocked, ReferralRoute), person_code=person.person_code,
                        priority="routine", state="requested", acceptance_due_at=now(),
                        sent_at=now())  # fmt: skip


def referral_created(
    person: PersonAdded,
    *,
    category: str = "school-enrolment",
    agency_id: str = SCHOOL_AGENCY,
    agency_type: str = "school",
) -> ReferralCreated:
    return ReferralCreated(
        **_new_route(person, category=category, agency_id=agency_id, agency_type=agency_type),
        person_code=person.person_code,
        priority="routine",
        state="draft",
        disclosed_categories=["identity"],
        created_at=now(),
    )


def referral_moved(
    referral: ReferralFacts, contract: type[ReferralFacts], *, state: str, **fields: Any
) -> ReferralFacts:
    """The same referral's next lifecycle event, e.g. `referral_moved(r, ReferralSent, ...)`."""
    return contract(**{**_fields_of(referral, ReferralFacts), "state": state, **fields})


def _new_route(
    person: PersonAdded, *, category: str, agency_id: str, agency_type: str
) -> dict[str, Any]:
    """A new referral of `person`: the fields every referral event carries."""
    return {
        "referral_id": uuid.uuid4(),
        "case_id": person.case_id,
        "case_code": person.case_code,
        "municipality": person.municipality,
        "person_id": person.person_id,
        "agency_id": agency_id,
        "agency_type": agency_type,
        "service_category": category,
    }


def _fields_of(event: EventContract, base: type[EventContract]) -> dict[str, Any]:
    """The fields `event` has from `base`, one of the contracts' shared base classes."""
    return {name: getattr(event, name) for name in base.model_fields}


def cloud_event(event: EventContract, *, key: str) -> CloudEvent:
    return CloudEvent(
        id=str(uuid.uuid4()),
        type=event.event_type,
        source="/homeward/tests",
        time=now(),
        key=key,
        data=event.model_dump(mode="json"),
    )


async def publish(broker: InMemoryBroker, *events: EventContract) -> None:
    producer = broker.producer("tests")
    await producer.start()
    for event in events:
        record = cloud_event(event, key=str(event.case_id)).to_kafka()  # type: ignore[attr-defined]
        await producer.send(event.topic, key=record.key, value=record.value,
                            headers=record.headers)  # fmt: skip
    await producer.stop()


def published(broker: InMemoryBroker, event_type: str) -> list[dict[str, Any]]:
    """Data of every event of `event_type` the service published on its topic."""
    return [
        json.loads(message.value)
        for message in broker.messages(DOCUMENTS_RECORDS_TOPIC)
        if dict(message.headers).get("ce_type") == event_type.encode()
    ]


async def eventually(condition: Callable[[], Awaitable[bool]], timeout_s: float = 10) -> None:
    await wait_for(condition, timeout_s=timeout_s)


def issued_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "to_status": "issued",
        "issued_on": days_from_today(-3).isoformat(),
        "issuing_authority": "Riverton civil registry",
        "reference_number": "BC-2025-0099817",
    }
    body.update(overrides)
    return body
