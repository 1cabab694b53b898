"""Settings of the intake service (environment prefix `HOMEWARD_`)."""

from __future__ import annotations

from typing import ClassVar

from homeward.common.settings import CommonSettings


class IntakeSettings(CommonSettings):
    service_name: ClassVar[str] = "intake"
