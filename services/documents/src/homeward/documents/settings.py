"""Settings of the documents service (environment prefix `HOMEWARD_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from homeward.common.settings import CommonSettings


class DocumentsSettings(CommonSettings):
    service_name: ClassVar[str] = "documents"

    # Local document types beyond the shared vocabulary (e.g. "refugee-travel-document").
    extra_document_types: tuple[str, ...] = ()
    # None: the rule file shipped in the package (rules/readiness-v1.json).
    readiness_rules_path: str | None = None
    expiry_warning_days: int = Field(default=60, ge=1, le=365)
    expiry_check_interval_s: float = Field(default=3600.0, gt=0)
    # Off in tests that drive the check themselves.
    expiry_check_enabled: bool = True
