"""The partner directory's rules: which agency may receive which referral."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from homeward.referrals.domain.errors import RuleViolation


class CapacityStatus(StrEnum):
    OPEN = "open"
    WAITLIST = "waitlist"  # takes new referrals, but they wait
    CLOSED = "closed"  # takes no new referrals; those it holds go on


class Accreditation(StrEnum):
    """Trained or accredited staff an agency has for this work (counted, never named)."""

    TRAUMA_INFORMED_PSYCHOLOGIST = "trauma-informed-psychologist"
    CHILD_PSYCHOLOGIST = "child-psychologist"
    THEOLOGIAN_TRAINED_FOR_REINTEGRATION = "theologian-trained-for-reintegration"
    DISENGAGEMENT_COUNSELLOR = "disengagement-counsellor"
    SOCIAL_WORKER_REINTEGRATION = "social-worker-reintegration"
    TRAUMA_AWARE_TEACHER = "trauma-aware-teacher"
    COMMUNITY_INTERPRETER = "community-interpreter"
    LEGAL_COUNSEL = "legal-counsel"


@dataclass(frozen=True, kw_only=True)
class AgencyFacts:
    agency_id: str
    active: bool
    municipalities: Collection[str]
    service_categories: Collection[str]
    capacity: CapacityStatus


def check_accreditations_unique(codes: Collection[str]) -> None:
    if len(set(codes)) != len(codes):
        raise RuleViolation("name each accreditation once, with the count of staff holding it")


def check_agency_can_receive(
    agency: AgencyFacts | None, *, municipality: str, service_category: str
) -> None:
    """Refuse, with a message saying what to change, a referral the agency cannot take."""
    if agency is None:
        raise RuleViolation("unknown agency: pick one from the partner directory")
    if not agency.active:
        raise RuleViolation(f"agency {agency.agency_id} is inactive in the partner directory")
    if agency.capacity is CapacityStatus.CLOSED:
        raise closed_agency(agency.agency_id)
    if municipality not in agency.municipalities:
        raise RuleViolation(
            f"agency {agency.agency_id} does not serve the case's municipality ({municipality})"
        )
    if service_category not in agency.service_categories:
        raise RuleViolation(
            f"agency {agency.agency_id} does not offer the service category {service_category}"
        )


def closed_agency(agency_id: str) -> RuleViolation:
    """The refusal of a referral to an agency that closed its capacity, new or sent later."""
    return RuleViolation(
        f"agency {agency_id} has closed its capacity and takes no new referrals; "
        "choose another agency or wait until it reopens"
    )


def normalise_municipality(name: str) -> str:
    return " ".join(name.split()).lower()
