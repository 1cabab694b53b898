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
