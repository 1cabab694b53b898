"""Gates, deadlines, indicators and directory rules: plain Python, no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from homeward.referrals.domain.deadlines import DeadlineKind, EscalationLevel, overdue_levels
from homeward.referrals.domain.directory import (
    AgencyFacts,
    CapacityStatus,
    check_agency_can_receive,
)
from homeward.referrals.domain.errors import RuleViolation
from homeward.referrals.domain.gates import (
    SEQUENCING_WARNING,
    ConsentFact,
    Readiness,
    missing_consent,
    missing_documents,
    sequencing_warning,
)
from homeward.referrals.domain.indicators import (
    suppressed_count,
    suppressed_median_hours,
    suppressed_share,
)
from homeward.referrals.domain.lifecycle import ReferralState

TODAY = date(2025, 6, 1)


def consent(agency_type: str, *categories: str, **kw: object) -> ConsentFact:
    values: dict[str, object] = {"valid_from": date(2025, 1, 1), "valid_until": date(2025, 12, 31)}
    values.update(kw)
    return ConsentFact(recipient_agency_type=agency_type, categories=frozenset(categories),
                       **values)  # type: ignore[arg-type]  # fmt: skip


def test_consent_covers_per_agency_type_and_in_force() -> None:
    consents = [
        consent("school", "education"),
        consent("school", "family", valid_until=date(2025, 5, 1)),  # expired
        consent("school", "identity", revoked_at=datetime(2025, 5, 1, tzinfo=UTC)),
        consent("health", "health"),
    ]
    missing = missing_consent(disclose=["education", "family", "identity", "health"],
                              consents=consents, agency_type="school", today=TODAY)  # fmt: skip
    assert missing == ["family", "health", "identity"]
    assert missing_consent(disclose=[], consents=[], agency_type="police", today=TODAY) == []


def test_documents_gate() -> None:
    readiness = Readiness(
        ready_categories=frozenset({"health-care"}),
        missing={"school-enrolment": [["birth-certificate", "guardianship-order"]]},
    )
    assert missing_documents(readiness=None, service_category="school-enrolment") == []
    assert missing_documents(readiness=readiness, service_category="health-care") == []
    assert missing_documents(readiness=readiness, service_category="school-enrolment") == [
        ["birth-certificate", "guardianship-order"]
    ]
    assert missing_documents(readiness=readiness, service_category="housing") == []


def test_sequencing() -> None:
    assert sequencing_warning(service_category="religious-guidance",
                              started_categories=[]) == SEQUENCING_WARNING  # fmt: skip
    assert sequencing_warning(service_category="religious-guidance",
                              started_categories=["mental-health"]) is None  # fmt: skip
    assert sequencing_warning(service_category="housing", started_categories=[]) is None


def test_overdue_levels() -> None:
    sent = datetime(2025, 6, 1, tzinfo=UTC)
    common = {"accepted_at": None, "acceptance_deadline": timedelta(hours=24),
              "completion_target": timedelta(days=10), "supervisor_factor": 2.0}  # fmt: skip
    assert (
        overdue_levels(
            state=ReferralState.REQUESTED, sent_at=sent, now=sent + timedelta(hours=23), **common
        )
        == []
    )  # type: ignore[arg-type]
    levels = overdue_levels(
        state=ReferralState.REQUESTED, sent_at=sent, now=sent + timedelta(hours=49), **common
    )  # type: ignore[arg-type]
    assert [(o.kind, o.level) for o in levels] == [
        (DeadlineKind.ACCEPTANCE, EscalationLevel.COORDINATOR),
        (DeadlineKind.ACCEPTANCE, EscalationLevel.SUPERVISOR),
    ]
    assert (
        overdue_levels(
            state=ReferralState.COMPLETED, sent_at=sent, now=sent + timedelta(days=99), **common
        )
        == []
    )  # type: ignore[arg-type]


def test_small_numbers_are_suppressed() -> None:
    assert suppressed_count(4) == "<5" and suppressed_count(0) == "<5" and suppressed_count(5) == 5
    assert suppressed_median_hours([1, 2, 3]) == "<5"
    assert suppressed_median_hours([1, 2, 3, 4, 5]) == 3
    assert suppressed_share(4, 10) == "<5" and suppressed_share(5, 10) == 0.5


def test_directory_rules() -> None:
    agency = AgencyFacts(agency_id="a", active=True, municipalities=["riverton"],
                         service_categories=["housing"], capacity=CapacityStatus.OPEN)  # fmt: skip
    check_agency_can_receive(agency, municipality="riverton", service_category="housing")
    waitlist = replace(agency, capacity=CapacityStatus.WAITLIST)
    check_agency_can_receive(waitlist, municipality="riverton", service_category="housing")
    for facts, municipality, category, message in [
        (None, "riverton", "housing", "unknown agency"),
        (replace(agency, active=False), "riverton", "housing", "inactive"),
        (replace(agency, capacity=CapacityStatus.CLOSED), "riverton", "housing",
         "takes no new referrals"),
        (agency, "lakeside", "housing", "does not serve"),
        (agency, "riverton", "employment", "does not offer"),
    ]:  # fmt: skip
        with pytest.raises(RuleViolation, match=message):
            check_agency_can_receive(facts, municipality=municipality, service_category=category)
