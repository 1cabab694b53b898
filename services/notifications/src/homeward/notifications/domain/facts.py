"""What the service knows about cases and referrals, learnt from events (read models).

Routing needs to know where a case lives, who coordinates it and which agency a referral
goes to; those facts arrive in earlier events and are kept locally, since no service reads
another's tables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

TYPE_NAME = re.compile(r"^homeward\.(?P<noun>[a-z0-9_]+)\.(?P<verb>[a-z0-9_]+)\.v[0-9]+$")


@lru_cache(maxsize=1024)  # a few dozen event types, each asked several times per event
def action_of(event_type: str) -> str:
    """`referral.accepted` for `homeward.referral.accepted.v1`: versions route alike."""
    match = TYPE_NAME.match(event_type)
    return f"{match['noun']}.{match['verb']}" if match else event_type


@dataclass(frozen=True, kw_only=True)
class CaseFacts:
    case_id: str
    case_code: str
    municipality: str
    coordinator: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReferralFacts:
    referral_id: str
    case_id: str
    agency_id: str
    agency_type: str | None = None
    person_id: str | None = None
    service_category: str | None = None
    requested_by: str | None = None
    active: bool = True


@dataclass(frozen=True, kw_only=True)
class RoutedEvent:
    """One consumed event with the facts known about its case and referral."""

    event_type: str
    data: Mapping[str, Any]
    case: CaseFacts | None = None
    referral: ReferralFacts | None = None
    case_referrals: Sequence[ReferralFacts] = field(default_factory=tuple)

    @property
    def action(self) -> str:
        return action_of(self.event_type)

    def text(self, name: str) -> str | None:
        value = self.data.get(name)
        return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None

    @property
    def municipality(self) -> str | None:
        return self.text("municipality") or (self.case.municipality if self.case else None)

    @property
    def case_code(self) -> str | None:
        return self.text("case_code") or (self.case.case_code if self.case else None)

    @property
    def agency_id(self) -> str | None:
        return self.text("agency_id") or (self.referral.agency_id if self.referral else None)
