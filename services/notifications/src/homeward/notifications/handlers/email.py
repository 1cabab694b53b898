"""Email opt-in: a coordinator, supervisor or partner agency's staff member registers their
own address (there is no user directory here). Roles, municipality and, for partner staff,
the agency are copied from the token at opt-in, so that what is addressed to the agency
reaches them too; the language is the one they ask for, else their token's `locale`. Opting
in and out is audited by field name: the address itself never enters the trail."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.audit import record_audit
from homeward.common.auth import Principal, Role
from homeward.common.db import utcnow
from homeward.common.errors import NotFound, Unprocessable
from homeward.notifications.adapters.tables import EmailOptInRow
from homeward.notifications.domain.languages import supported

# What an opt-in holds of the staff member's own choosing, as the audit trail names it.
OPT_IN_FIELDS = ("address", "locale")


async def opt_in(
    session: AsyncSession, *, principal: Principal, address: str, locale: str | None = None
) -> EmailOptInRow:
    if not principal.username or not principal.municipality:
        raise Unprocessable("your token carries no username or municipality")
    partner = Role.PARTNER in principal.roles
    if partner and not principal.agency_id:
        raise Unprocessable("your token names no agency")
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
    row.agency_id = principal.agency_id if partner else None
    row.locale = supported(locale or principal.locale)
    session.add(row)
    record_audit(session, principal=principal, action="email.opted_in", fields=OPT_IN_FIELDS)
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
    record_audit(session, principal=principal, action="email.opted_out", fields=OPT_IN_FIELDS)
    await session.commit()
