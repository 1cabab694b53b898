"""The gates a referral passes before it reaches an agency: consent, documents, sequencing.

Inputs are plain values from the read models (consents and readiness learnt from intake and
documents events); the handlers fetch them and act on the answers.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from homeward.common.vocabulary import ServiceCategory


@dataclass(frozen=True, kw_only=True)
class ConsentFact:
    """One consent as intake announced it."""

    recipient_agency_type: str
    categories: frozenset[str]
    valid_from: date
    valid_until: date
    revoked_at: datetime | None = None

    def in_force(self, today: date) -> bool:
        return self.revoked_at is None and self.valid_from <= today <= self.valid_until


def consented_categories(
    consents: Iterable[ConsentFact], *, agency_type: str, today: date
) -> frozenset[str]:
    """The data categories a person's consents in force allow disclosing to `agency_type`."""
    covered: set[str] = set()
    for consent in consents:
        if consent.recipient_agency_type == agency_type and consent.in_force(today):
            covered |= consent.categories
    return frozenset(covered)


def missing_consent(
    *, disclose: Collection[str], consents: Iterable[ConsentFact], agency_type: str, today: date
) -> list[str]:
    """Categories the referral would disclose that no consent in force covers (sorted)."""
    covered = consented_categories(consents, agency_type=agency_type, today=today)
    return sorted(set(disclose) - covered)


@dataclass(frozen=True, kw_only=True)
class Readiness:
    """A person's readiness as documents last announced it."""

    ready_categories: frozenset[str]
    missing: Mapping[str, Sequence[Sequence[str]]]


def missing_documents(*, readiness: Readiness | None, service_category: str) -> list[list[str]]:
    """Unmet document requirements for the category; empty when nothing blocks it.

    No readiness known yet for the person means documents has said nothing: we do not block
    on a guess. A category that documents neither lists as ready nor as missing has no rule.
    """
    if readiness is None or service_category in readiness.ready_categories:
        return []
    return [list(alternatives) for alternatives in readiness.missing.get(service_category, [])]


# Sequencing guidance from the field reports: basic needs and (mental) health come first.
FOUNDATIONAL_CATEGORIES = frozenset(
    {ServiceCategory.BASIC_NEEDS.value, ServiceCategory.MENTAL_HEALTH.value}
)
SEQUENCING_WARNING = "religious-guidance-before-basic-needs-or-mental-health"


def sequencing_warning(*, service_category: str, started_categories: Collection[str]) -> str | None:
    """A warning code for religious guidance while no foundational support has started."""
    if service_category != ServiceCategory.RELIGIOUS_GUIDANCE.value:
        return None
    if FOUNDATIONAL_CATEGORIES & set(started_categories):
        return None
    return SEQUENCING_WARNING
