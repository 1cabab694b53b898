"""Settings of the referrals service (environment prefix `HOMEWARD_`)."""

from __future__ import annotations

from typing import ClassVar

from homeward.common.settings import CommonSettings


class ReferralsSettings(CommonSettings):
    service_name: ClassVar[str] = "referrals"

