"""Settings of the referrals service (environment prefix `HOMEWARD_`)."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from pydantic import Field

from homeward.common.settings import CommonSettings
from homeward.common.vocabulary import ServiceCategory

# Urgent basics are answered within a day; the rest within a working week. Hours may be
# fractional (a test environment can make a deadline pass in seconds).
DEFAULT_ACCEPTANCE_HOURS = {
    ServiceCategory.BASIC_NEEDS.value: 24,
    ServiceCategory.HEALTH_CARE.value: 48,
    ServiceCategory.MENTAL_HEALTH.value: 72,
}
DEFAULT_COMPLETION_DAYS = {
    ServiceCategory.BASIC_NEEDS.value: 14,
    ServiceCategory.SCHOOL_ENROLMENT.value: 30,
    ServiceCategory.MENTAL_HEALTH.value: 180,
    ServiceCategory.RELIGIOUS_GUIDANCE.value: 180,
}


class ReferralsSettings(CommonSettings):
    service_name: ClassVar[str] = "referrals"

    acceptance_deadline_hours: dict[str, float] = Field(
        default_factory=DEFAULT_ACCEPTANCE_HOURS.copy
    )
    default_acceptance_deadline_hours: float = 120
    completion_target_days: dict[str, int] = Field(default_factory=DEFAULT_COMPLETION_DAYS.copy)
    default_completion_target_days: int = 90
    supervisor_escalation_factor: float = Field(default=2.0, ge=1.0)
    overdue_check_interval_s: float = Field(default=300.0, gt=0)
    religious_guidance_sequencing_blocks: bool = False
    seed_demo_directory: bool | None = Field(
        default=None, description="Seed the demo agencies at start-up; default on in development"
    )

    def acceptance_deadline(self, category: str) -> timedelta:
        hours = self.acceptance_deadline_hours.get(category, self.default_acceptance_deadline_hours)
        return timedelta(hours=hours)

    def completion_target(self, category: str) -> timedelta:
        days = self.completion_target_days.get(category, self.default_completion_target_days)
        return timedelta(days=days)

    @property
    def should_seed_directory(self) -> bool:
        return self.is_development if self.seed_demo_directory is None else self.seed_demo_directory
