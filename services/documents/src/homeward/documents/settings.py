"""Settings of the documents service (environment prefix `HOMEWARD_`)."""

from __future__ import annotations

from typing import ClassVar

from homeward.common.settings import CommonSettings


class DocumentsSettings(CommonSettings):
    service_name: ClassVar[str] = "documents"

