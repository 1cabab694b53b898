"""The partner directory's rules: which agency may receive which referral."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from homeward.referrals.domain.errors import RuleViolation


class CapacityStatus(StrEnum):
    OPEN = "open"
    WAITLIST = "waitlist"
    CLOSED = "closed"


@dataclass(frozen=True, kw_only=True)
class AgencyFacts:
    agency_id: str
    active: bool
    municipalities: Collection[str]
    service_categories: Collection[str]


def check_agency_can_receive(
    agency: AgencyFacts | None, *, municipality: str, service_category: str
) -> None:
    """Refuse, with a message saying what to change, a referral the agency cannot take."""
    if agency is None:
        raise RuleViolation("unknown agency: pick one from the partner directory")
    if not agency.active:
        raise RuleViolation(f"agency {agency.agency_id} is inactive in the partner directory")
    if municipality not in agency.municipalities:
        raise RuleViolation(
            f"agency {agency.agency_id} does not serve the case's municipality ({municipality})"
        )
    if service_category not in agency.service_categories:
        raise RuleViolation(
            f"agency {agency.agency_id} does not offer the service category {service_category}"
        )


def normalise_municipality(name: str) -> str:
    return " ".join(name.split()).lower()
