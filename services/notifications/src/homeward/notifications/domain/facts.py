"""What the service knows about cases and referrals, learnt from events (read models).

Routing needs to know where a case lives, who coordinates it, which agency a referral goes
to and which state it is in; those facts arrive in earlier events and are kept locally,
since no service reads another's tables.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from homeward.common.contracts.referrals import in_agency_hands
from homeward.common.events.contracts import EventContract

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
    state: str | None = None  # None: no event has told us yet

    @property
    def in_agency_hands(self) -> bool:
        return in_agency_hands(self.state)


@dataclass(frozen=True, kw_only=True)
class RoutedEvent:
    """One consumed event (its parsed contract) with the facts known about its case and
    referral: `referral` after the event, `referral_before` as it was before it."""

    contract: EventContract
    case: CaseFacts | None = None
    referral: ReferralFacts | None = None
    referral_before: ReferralFacts | None = None
    case_referrals: Sequence[ReferralFacts] = field(default_factory=tuple)

    @property
    def event_type(self) -> str:
        return self.contract.event_type

    @cached_property
    def data(self) -> dict[str, Any]:
        """The contract's own serialisation, for the content's allowlist of shown fields."""
        return self.contract.model_dump(mode="json")

    @property
    def municipality(self) -> str | None:
        return self._common("municipality") or (self.case.municipality if self.case else None)

    @property
    def case_code(self) -> str | None:
        return self._common("case_code") or (self.case.case_code if self.case else None)

    @property
    def agency_id(self) -> str | None:
        return self.referral.agency_id if self.referral else None

    @property
    def agency_may_know(self) -> bool:
        """The receiving agency hears of an event only while the referral is in its hands:
        before the event (so it learns of the ending too) or after it (so it learns of the
        sending). Never of a draft, nor of anything after the end."""
        return any(r is not None and r.in_agency_hands
                   for r in (self.referral_before, self.referral))  # fmt: skip

    def _common(self, name: str) -> str | None:
        # Every contract of a case carries its code and municipality under these names.
        value = getattr(self.contract, name, None)
        return value if isinstance(value, str) else None
