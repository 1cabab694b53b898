"""The staff directory: who intake has seen, from their tokens, and who may coordinate a case.

A case's coordinator is named by username, and only a coordinator of the case's municipality
whose token intake has seen may be named: a typed name, a partner's account or another
municipality's coordinator is refused (422), so nothing but a known staff identifier reaches
the case, the bus and the notifications. The identity provider stays the one source of
staff; intake only remembers what the latest token of each said (a user who lost the role,
or moved, stops being assignable at their next call).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.auth import Principal, Role
from homeward.common.db import Database, utcnow
from homeward.common.errors import Unprocessable
from homeward.intake.adapters.tables import StaffRow
from homeward.intake.domain.transfers import normalise_municipality

NOT_ASSIGNABLE = "not a coordinator of the case's municipality (see GET /v1/coordinators)"


@dataclass(frozen=True)
class _Seen:
    username: str
    municipality: str | None
    roles: tuple[str, ...]


class StaffDirectory:
    """Remembers each caller's username, roles and municipality, writing only on a change
    (this process remembers what it wrote, so a steady caller costs no write)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._written: dict[str, _Seen] = {}

    async def remember(self, principal: Principal) -> None:
        if not principal.username:
            return  # a client's service account: never a coordinator
        municipality = normalise_municipality(principal.municipality or "") or None
        seen = _Seen(principal.username, municipality, tuple(sorted(principal.roles)))
        if self._written.get(principal.actor) == seen:
            return
        try:
            async with self.database.transaction() as session:
                row = await session.get(StaffRow, principal.actor) or StaffRow(
                    actor=principal.actor, username=seen.username, last_seen_at=utcnow()
                )
                row.username, row.municipality = seen.username, seen.municipality
                row.roles, row.last_seen_at = list(seen.roles), utcnow()
                session.add(row)
        except IntegrityError:
            return  # a concurrent first call of the same caller wrote the row; next time we look
        self._written[principal.actor] = seen


async def coordinators_of(session: AsyncSession, *, municipality: str) -> list[StaffRow]:
    rows = await session.exec(
        select(StaffRow)
        .where(StaffRow.municipality == municipality)
        .order_by(col(StaffRow.username), col(StaffRow.actor))
    )
    return [row for row in rows if Role.COORDINATOR.value in row.roles]


async def assignable_coordinator(
    session: AsyncSession, *, username: str, municipality: str
) -> StaffRow:
    """The coordinator of `municipality` named `username`; 422 for anyone else (the same
    answer whether they are unknown or elsewhere: the refusal tells nothing about them)."""
    for row in await coordinators_of(session, municipality=municipality):
        if row.username == username:
            return row
    raise Unprocessable(NOT_ASSIGNABLE)
