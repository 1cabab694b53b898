"""Commands: what a caller asks the documents service to do; they double as request bodies.

Field checks that need no database live here; the status and date rules live in the domain.
Unknown fields are refused so a typo never silently drops data. The document type is a
string checked against the catalogue, since settings may add local types.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from homeward.common.commands import Command, IsoDate
from homeward.documents.domain.records import RecordStatus

REFERENCE = Field(default=None, min_length=1, max_length=64)
AUTHORITY = Field(default=None, min_length=1, max_length=200)
FREE_TEXT = Field(default=None, min_length=1, max_length=1000)


class CreateRecord(Command):
    """A record for a document type the person needs; it starts as missing."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"document_type": "guardianship-order"}}
    )

    document_type: str = Field(min_length=1, max_length=64)
    issuing_authority: str | None = AUTHORITY
    blocker_description: str | None = FREE_TEXT


class RecordDetailsChange(Command):
    """The details of a record a caller may set; fields left out stay as they are."""

    issuing_authority: str | None = AUTHORITY
    reference_number: str | None = REFERENCE
    blocker_description: str | None = FREE_TEXT
    requested_on: IsoDate | None = None
    issued_on: IsoDate | None = None
    expiry_on: IsoDate | None = None


class UpdateRecordDetails(RecordDetailsChange):
    """Change details without changing the status; fields left out stay as they are."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "requested_on": "2025-03-10",
                "issuing_authority": "Riverton civil registry",
            }
        }
    )


class ChangeStatus(RecordDetailsChange):
    """Move a record to another status, with the details that come with it."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "to_status": "issued",
                "issued_on": "2025-04-02",
                "issuing_authority": "Riverton civil registry",
                "reference_number": "BC-2025-000123",
            }
        }
    )

    to_status: RecordStatus
    reason: str | None = FREE_TEXT
