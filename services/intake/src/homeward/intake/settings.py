"""Settings of the intake service (environment prefix `HOMEWARD_`)."""

from __future__ import annotations

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
