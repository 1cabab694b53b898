"""Settings of the intake service (environment prefix `HOMEWARD_`)."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from pydantic import Field

from homeward.common.settings import CommonSettings


class IntakeSettings(CommonSettings):
    service_name: ClassVar[str] = "intake"

    supervisors_decide_transfers_and_closures: bool = Field(
        default=True,
        description=(
            "Supervisors accept or decline transfers into their municipality and close cases "
            "(coordinators request closure); off: coordinators may decide both too"
        ),
    )
    # Identity reads per actor in any minute: a coordinator at work reads a few; more is a
    # bulk read (429, counted in homeward_identity_reads_refused_total, alerted on).
    identity_reads_per_minute: int = Field(default=60, ge=1, le=10_000)
    staff_seen_within_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description=(
            "The staff directory (GET /v1/coordinators; who may be assigned a case) lists "
            "only staff intake saw within this many days: one who left is forgotten"
        ),
    )

    @property
    def staff_seen_within(self) -> timedelta:
        return timedelta(days=self.staff_seen_within_days)
