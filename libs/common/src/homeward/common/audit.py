"""Append-only audit trail: who read or changed what, why and when; never what it said.

A row names the actor (issuer#subject), their agency (or the agency an admin acted for) and
municipality, the action, the case code and the field names involved, and the stated
purpose, at a UTC time. It never holds a value of a field. The table refuses UPDATE and
DELETE by trigger (PostgreSQL and SQLite), so even a bug or a careless operator with the
service's credentials cannot rewrite history.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.auth import Principal, Role, require_roles
from homeward.common.db import RowId, UTCDateTime, utcnow
from homeward.common.errors import Unprocessable
from homeward.common.observability import current_request_id
from homeward.common.service import SessionDep

AUDIT_TABLE = "audit_trail"
MAX_AUDIT_PAGE = 200
MAX_AUDIT_EXPORT = 10_000

Auditor = Annotated[Principal, Depends(require_roles(Role.AUDITOR))]


class AuditRecord(SQLModel, table=True):
    __tablename__ = AUDIT_TABLE

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=300)
    agency_id: str | None = Field(default=None, max_length=100)
    municipality: str | None = Field(default=None, max_length=100)
    action: str = Field(max_length=100)
    case_code: str | None = Field(default=None, max_length=32, index=True)
    subject_code: str | None = Field(default=None, max_length=32)
    fields: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    purpose: str | None = Field(default=None, max_length=64)
    request_id: str | None = Field(default=None, max_length=64)


def record_audit(
    session: AsyncSession,
    *,
    principal: Principal,
    action: str,
    for_agency: str | None = None,
    case_code: str | None = None,
    subject_code: str | None = None,
    fields: Sequence[str] = (),
    purpose: str | None = None,
) -> AuditRecord:
    """Stage an audit row in the caller's transaction: it commits with the act it records.

    `purpose` should come from a closed vocabulary: free text would invite personal data.
    `for_agency` names the agency acted for when it is not the actor's own (an admin holds
    none), so that filtering the trail by agency finds what was done to it.
    """
    record = AuditRecord(
        at=utcnow(),
        actor=principal.actor,
        agency_id=for_agency or principal.agency_id,
        municipality=principal.municipality,
        action=action,
        case_code=case_code,
        subject_code=subject_code,
        fields=sorted(fields),
        purpose=purpose,
        request_id=current_request_id.get(),
    )
    session.add(record)
    return record


# --- migration helper ---------------------------------------------------------------------

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {AUDIT_TABLE}_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{AUDIT_TABLE} is append-only';
END;
$$ LANGUAGE plpgsql
"""


def create_audit_table(op: Any) -> None:
    op.create_table(
        AUDIT_TABLE,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(300), nullable=False),
        sa.Column("agency_id", sa.String(100)),
        sa.Column("municipality", sa.String(100)),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("case_code", sa.String(32)),
        sa.Column("subject_code", sa.String(32)),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(64)),
        sa.Column("request_id", sa.String(64)),
    )
    op.create_index(f"ix_{AUDIT_TABLE}_case_code", AUDIT_TABLE, ["case_code"])
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            f"CREATE TRIGGER {AUDIT_TABLE}_append_only BEFORE UPDATE OR DELETE ON {AUDIT_TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION {AUDIT_TABLE}_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {AUDIT_TABLE}_no_truncate BEFORE TRUNCATE ON {AUDIT_TABLE} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {AUDIT_TABLE}_refuse_change()"
        )
    elif dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {AUDIT_TABLE}_no_{verb.lower()} BEFORE {verb} ON {AUDIT_TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{AUDIT_TABLE} is append-only'); END"
            )


def drop_audit_table(op: Any) -> None:
    op.drop_table(AUDIT_TABLE)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {AUDIT_TABLE}_refuse_change()")


# --- read API -----------------------------------------------------------------------------


class AuditEntryView(BaseModel):
    """One audited act."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "id": 42,
                "at": "2025-03-01T09:30:00Z",
                "actor": "https://idp.example/realms/homeward#4f1c...",
                "agency_id": None,
                "municipality": "riverton",
                "action": "identity.read",
                "case_code": "HW-7KQ3-M9",
                "subject_code": "P-4TXR-8N",
                "fields": ["date_of_birth", "full_name"],
                "purpose": "documentation",
                "request_id": "0b9f6c1e",
            }
        },
    )

    id: int
    at: datetime
    actor: str
    agency_id: str | None
    municipality: str | None
    action: str
    case_code: str | None
    subject_code: str | None
    fields: list[str]
    purpose: str | None
    request_id: str | None


class AuditPage(BaseModel):
    """Newest first; pass `next_before_id` as `before_id` for the next page."""

    items: list[AuditEntryView]
    next_before_id: int | None


@dataclass(frozen=True, kw_only=True)
class AuditFilter:
    """What an auditor narrows the trail to; every given criterion must match exactly."""

    actor: str | None = None
    agency_id: str | None = None
    case_code: str | None = None
    action: str | None = None
    purpose: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _audit_filter(
    actor: Annotated[str | None, Query(max_length=300, description="issuer#subject")] = None,
    agency_id: Annotated[str | None, Query(max_length=100)] = None,
    case_code: Annotated[str | None, Query(max_length=32)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    purpose: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[datetime | None, Query(description="from this time (inclusive)")] = None,
    until: Annotated[datetime | None, Query(description="before this time (exclusive)")] = None,
) -> AuditFilter:
    if any(bound is not None and bound.tzinfo is None for bound in (since, until)):
        raise Unprocessable("give since and until with a time zone, e.g. 2025-03-01T00:00:00Z")
    if since is not None and until is not None and since >= until:
        raise Unprocessable("since must be earlier than until")
    return AuditFilter(actor=actor, agency_id=agency_id, case_code=case_code, action=action,
                       purpose=purpose, since=since, until=until)  # fmt: skip


AuditFilterDep = Annotated[AuditFilter, Depends(_audit_filter)]


async def find_audit_entries(
    session: AsyncSession, *, where: AuditFilter, before_id: int | None, limit: int
) -> tuple[list[AuditRecord], int | None]:
    """One page of matching rows, newest first, and the `before_id` of the next page."""
    query = select(AuditRecord).order_by(col(AuditRecord.id).desc()).limit(limit + 1)
    for column, wanted in (
        (AuditRecord.actor, where.actor),
        (AuditRecord.agency_id, where.agency_id),
        (AuditRecord.case_code, where.case_code),
        (AuditRecord.action, where.action),
        (AuditRecord.purpose, where.purpose),
    ):
        if wanted is not None:
            query = query.where(col(column) == wanted)
    if where.since is not None:
        query = query.where(col(AuditRecord.at) >= where.since)
    if where.until is not None:
        query = query.where(col(AuditRecord.at) < where.until)
    if before_id is not None:
        query = query.where(col(AuditRecord.id) < before_id)
    rows = list((await session.exec(query)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, rows[-1].id if more and rows else None


CSV_COLUMNS = list(AuditEntryView.model_fields)


def _csv_cell(value: Any) -> str:
    text = ";".join(value) if isinstance(value, list) else "" if value is None else str(value)
    # A spreadsheet runs a cell that starts like a formula: keep the export inert.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def audit_csv(rows: Sequence[AuditRecord]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        view = AuditEntryView.model_validate(row).model_dump(mode="json")
        writer.writerow([_csv_cell(view[column]) for column in CSV_COLUMNS])
    return out.getvalue()


def audit_router(*, prefix: str = "/v1") -> APIRouter:
    """`GET /v1/audit` and `GET /v1/audit.csv` for auditors; mount it in a service's wiring."""
    router = APIRouter(prefix=prefix, tags=["audit"])

    @router.get("/audit", name="list_audit_entries", response_model=AuditPage)
    async def list_audit_entries(
        _auditor: Auditor,
        session: SessionDep,
        where: AuditFilterDep,
        before_id: RowId | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE)] = 50,
    ) -> AuditPage:
        """The audit trail, newest first, filtered by actor, agency, case, purpose, time."""
        rows, next_before_id = await find_audit_entries(
            session, where=where, before_id=before_id, limit=limit
        )
        return AuditPage(
            items=[AuditEntryView.model_validate(row) for row in rows],
            next_before_id=next_before_id,
        )

    @router.get(
        "/audit.csv",
        name="export_audit_entries",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}, "description": "The matching entries"}},
    )
    async def export_audit_entries(
        _auditor: Auditor,
        session: SessionDep,
        where: AuditFilterDep,
        before_id: Annotated[int | None, Query(ge=1)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_EXPORT)] = MAX_AUDIT_EXPORT,
    ) -> Response:
        """The same entries as CSV; `X-Next-Before-Id` says where the next export starts."""
        rows, next_before_id = await find_audit_entries(
            session, where=where, before_id=before_id, limit=limit
        )
        headers = {"Content-Disposition": 'attachment; filename="audit.csv"'}
        if next_before_id is not None:
            headers["X-Next-Before-Id"] = str(next_before_id)
        return Response(audit_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)

    return router
