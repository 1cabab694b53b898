"""Email opt-in: a coordinator or supervisor registers their own address (there is no user
directory here). Roles and municipality are copied from the token at opt-in."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.auth import Principal
from homeward.common.db import utcnow
from homeward.common.errors import NotFound, Unprocessable
from homeward.notifications.adapters.tables import EmailOptInRow


async def opt_in(session: AsyncSession, *, principal: Principal, address: str) -> EmailOptInRow:
    if not principal.username or not principal.municipality:
        raise Unprocessable("your token carries no username or municipality")
    row = await session.get(EmailOptInRow, principal.actor) or EmailOptInRow(
        reader=principal.actor,
        username=principal.username,
        address=address,
        municipality=principal.municipality,
        roles=[],
        opted_in_at=utcnow(),
    )
    row.address, row.opted_in_at = address, utcnow()
    row.username, row.municipality = principal.username, principal.municipality
    row.roles = sorted(role.value for role in principal.roles)
    session.add(row)
    await session.commit()
    return row


async def read_opt_in(session: AsyncSession, *, principal: Principal) -> EmailOptInRow:
    row = await session.get(EmailOptInRow, principal.actor)
    if row is None:
        raise NotFound("you have not opted in to email")
    return row


async def opt_out(session: AsyncSession, *, principal: Principal) -> None:
    row = await read_opt_in(session, principal=principal)
    await session.delete(row)
    await session.commit()
