"""Test data for referrals: intake and documents events as their services would publish them."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from homeward.common.codes import UNAMBIGUOUS_ALPHABET
from homeward.common.contracts import documents, intake
from homeward.common.events import CloudEvent, EventContract, Producer


def random_code(prefix: str) -> str:
    """A well-formed code, as intake makes them (`HW-7KQ3-M9`, `P-4TXR-8N`)."""
    symbols = "".join(secrets.choice(UNAMBIGUOUS_ALPHABET) for _ in range(6))
    return f"{prefix}-{symbols[:4]}-{symbols[4:]}"


def now() -> datetime:
    return datetime.now(UTC)


def today_plus(days: int) -> date:
    return (now() + timedelta(days=days)).date()


@dataclass
class Family:
    """A case with a mother and a child, as intake announces them."""

    municipality: str = "riverton"
    case_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    mother: str = field(default_factory=lambda: str(uuid.uuid4()))
    child: str = field(default_factory=lambda: str(uuid.uuid4()))
    code: str = field(default_factory=lambda: random_code("HW"))
    mother_code: str = field(default_factory=lambda: random_code("P"))
    child_code: str = field(default_factory=lambda: random_code("P"))

    def registered(self) -> list[EventContract]:
        base = {"case_id": self.case_id, "case_code": self.code, "municipality": self.municipality}
        return [
            intake.CaseRegistered(**base, placement="rehabilitation-centre",
                                  arrival_date=today_plus(-10), person_count=2,
                                  registered_at=now()),
            intake.PersonAdded(**base, person_id=self.mother, person_code=self.mother_code,
                               household_role="mother", birth_year=1994, sex="female",
                               age_group="adult"),
            intake.PersonAdded(**base, person_id=self.child, person_code=self.child_code,
                               household_role="child", birth_year=2016, sex="female",
                               age_group="child", guardian_person_id=self.mother),
            intake.AssessmentRecorded(**base, assessment_id=str(uuid.uuid4()),
                                      person_id=self.child, assessed_on=today_plus(-1),
                                      levels={"education": "high", "mental-health-and-trauma":
                                              "urgent", "religious-guidance": "low"}),
        ]  # fmt: skip

    def consent(
        self, person: str, agency_type: str, categories: list[str], consent_id: str | None = None
    ) -> intake.ConsentGranted:
        return intake.ConsentGranted(
            consent_id=consent_id or str(uuid.uuid4()), case_id=self.case_id,
            case_code=self.code, person_id=person, recipient_agency_type=agency_type,
            categories=categories, legal_basis="consent", valid_from=today_plus(-1),
            valid_until=today_plus(180),
        )  # fmt: skip

    def revoke(self, consent: intake.ConsentGranted) -> intake.ConsentRevoked:
        return intake.ConsentRevoked(
            consent_id=consent.consent_id, case_id=self.case_id, case_code=self.code,
            person_id=consent.person_id, recipient_agency_type=consent.recipient_agency_type,
            revoked_at=now(),
        )  # fmt: skip

    def readiness(
        self, person: str, *, ready: list[str], missing: dict[str, list[list[str]]]
    ) -> documents.ReadinessChanged:
        return documents.ReadinessChanged(
            case_id=self.case_id, case_code=self.code, municipality=self.municipality,
            person_id=person, ready_categories=ready, missing=missing, rules_version="test",
            computed_at=now(),
        )  # fmt: skip

    def transferred(self, to: str) -> intake.CaseTransferred:
        return intake.CaseTransferred(
            transfer_id=str(uuid.uuid4()), case_id=self.case_id, case_code=self.code,
            from_municipality=self.municipality, to_municipality=to, transferred_at=now(),
        )  # fmt: skip


async def produce(producer: Producer, event: EventContract) -> str:
    """Publish `event` as its service's relay would (CloudEvents binary mode); returns its id."""
    envelope = CloudEvent(
        id=str(uuid.uuid4()), type=type(event).event_type, source="/homeward/tests",
        time=now(), key=str(event.case_id), data=event.model_dump(mode="json"),  # type: ignore[attr-defined]
    )  # fmt: skip
    record = envelope.to_kafka()
    await producer.send(type(event).topic, key=record.key, value=record.value,
                        headers=record.headers)  # fmt: skip
    return envelope.id


def referral_body(family: Family, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "case_id": family.case_id,
        "person_id": family.child,
        "agency_id": "riverton-primary-school",
        "service_category": "school-enrolment",
        "reason": "enrol in year 4 after arrival",
        "disclose": ["education"],
        "send": True,
    }
    body.update(overrides)
    return body
