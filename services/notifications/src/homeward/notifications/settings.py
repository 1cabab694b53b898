"""Settings of the notifications service (environment prefix `HOMEWARD_`)."""

from __future__ import annotations

from typing import ClassVar

from homeward.common.settings import CommonSettings


class NotificationsSettings(CommonSettings):
    service_name: ClassVar[str] = "notifications"

