"""Needs assessments: one level per domain, per person, dated, append-only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum

from homeward.intake.domain.errors import RuleViolation


class NeedDomain(StrEnum):
    BASIC_NEEDS = "basic-needs"
    PHYSICAL_HEALTH = "physical-health"
    MENTAL_HEALTH_AND_TRAUMA = "mental-health-and-trauma"
    EDUCATION = "education"
    EMPLOYMENT = "employment"
    HOUSING = "housing"
    LEGAL_DOCUMENTATION = "legal-documentation"
    FAMILY_SUPPORT = "family-support"
    COMMUNITY_ACCEPTANCE = "community-acceptance"
    RELIGIOUS_GUIDANCE = "religious-guidance"


class NeedLevel(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


def check_assessment(
    *, levels: Mapping[NeedDomain, NeedLevel], assessed_on: date, today: date
) -> None:
    """A partial assessment is fine (a first visit rarely covers everything); an empty one isn't."""
    if not levels:
        raise RuleViolation("an assessment needs a level for at least one domain")
    if assessed_on > today:
        raise RuleViolation("assessed_on is in the future; give the day the assessment was made")
