"""The staff directory: who intake has seen, from their tokens, and who may coordinate a case.

A case's coordinator is named by username, and only a coordinator of the case's municipality
whose token intake has seen may be named: a typed name, a partner's account or another
municipality's coordinator is refused (422), so nothing but a known staff identifier reaches
the case, the bus and the notifications. The identity provider stays the one source of
staff; intake only remembers what the latest token of each said (a user who lost the role,
or moved, stops being assignable at their next call) and when it last saw one. A user who left
presents no token any more, so no call can tell intake they went: the directory forgets whom
it has not seen for a while instead (`staff_seen_within_days`, default 90).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.auth import Principal, Role
from homeward.common.db import Database, utcnow
from homeward.common.errors import Unprocessable
from homeward.intake.adapters.tables import StaffRow
from homeward.intake.domain.transfers import normalise_municipality

NOT_ASSIGNABLE = "not a coordinator of the case's municipality (see GET /v1/coordinators)"


# How fresh `last_seen_at` is kept: a steady caller costs one write a day, and a window
# counted in days needs no finer clock.
LAST_SEEN_REFRESH = timedelta(days=1)


@dataclass(frozen=True)
class _Seen:
    username: str
    municipality: str | None
    roles: tuple[str, ...]


@dataclass(frozen=True)
class _Written:
    seen: _Seen
    last_seen_at: datetime


class StaffDirectory:
    """Remembers each caller's username, roles and municipality, and when intake last saw
    them: written on a change, else at most once a day per user (this process remembers what
    it wrote, and a row another replica refreshed today is left alone)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._written: dict[str, _Written] = {}

    async def remember(self, principal: Principal) -> None:
        if not principal.username:
            return  # a client's service account: never a coordinator
        municipality = normalise_municipality(principal.municipality or "") or None
        seen = _Seen(principal.username, municipality, tuple(sorted(principal.roles)))
        now = utcnow()
        if _fresh(self._written.get(principal.actor), seen, now):
            return
        try:
            async with self.database.transaction() as session:
                row = await session.get(StaffRow, principal.actor)
                stored = _written_in(row) if row is not None else None
                if stored is not None and _fresh(stored, seen, now):
                    written = stored
                else:
                    row = row or StaffRow(
                        actor=principal.actor, username=seen.username, last_seen_at=now
                    )
                    row.username, row.municipality = seen.username, seen.municipality
                    row.roles, row.last_seen_at = list(seen.roles), now
                    session.add(row)
                    written = _Written(seen, now)
        except IntegrityError:
            return  # a concurrent first call of the same caller wrote the row; next time we look
        self._written[principal.actor] = written


def _written_in(row: StaffRow) -> _Written:
    return _Written(_Seen(row.username, row.municipality, tuple(row.roles)), row.last_seen_at)


def _fresh(written: _Written | None, seen: _Seen, now: datetime) -> bool:
    """Nothing to write: the same as written, and written less than a day ago."""
    return (
        written is not None
        and written.seen == seen
        and now - written.last_seen_at < LAST_SEEN_REFRESH
    )


async def coordinators_of(
    session: AsyncSession, *, municipality: str, seen_within: timedelta
) -> list[StaffRow]:
    """The municipality's coordinators whom intake saw within `seen_within` (give or take
    the day `last_seen_at` may lag): one who left drops out, one back at work returns."""
    rows = await session.exec(
        select(StaffRow)
        .where(
            StaffRow.municipality == municipality,
            col(StaffRow.last_seen_at) >= utcnow() - seen_within,
        )
        .order_by(col(StaffRow.username), col(StaffRow.actor))
    )
    return [row for row in rows if Role.COORDINATOR.value in row.roles]


async def assignable_coordinator(
    session: AsyncSession, *, username: str, municipality: str, seen_within: timedelta
) -> StaffRow:
    """The coordinator of `municipality` named `username`; 422 for anyone else (the same
    answer whether they are unknown or elsewhere: the refusal tells nothing about them)."""
    for row in await coordinators_of(session, municipality=municipality, seen_within=seen_within):
        if row.username == username:
            return row
    raise Unprocessable(NOT_ASSIGNABLE)
