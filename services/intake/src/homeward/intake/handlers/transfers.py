"""Transfers between municipalities: the sending coordinator requests, the receiving
municipality's supervisor (or, with the setting off, coordinator) accepts or declines."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.audit import record_audit
from homeward.common.auth import Principal
from homeward.common.contracts.intake import CaseTransferred, TransferDeclined, TransferRequested
from homeward.common.db import utcnow
from homeward.common.errors import Forbidden, NotFound
from homeward.intake.adapters.tables import CaseRow, TransferRow
from homeward.intake.commands import DeclineTransfer, RequestTransfer
from homeward.intake.domain.cases import CaseStatus, ensure_open
from homeward.intake.domain.errors import StateConflict
from homeward.intake.domain.transfers import (
    TransferStatus,
    check_decision,
    check_transfer_request,
    normalise_municipality,
)
from homeward.intake.handlers.access import case_to_change, municipality_of, stage_case_event

TRANSFER_NOT_FOUND = "no such transfer"


async def request_transfer(
    session: AsyncSession, *, principal: Principal, case_id: str, command: RequestTransfer
) -> tuple[TransferRow, CaseRow]:
    case = await case_to_change(session, case_id=case_id, principal=principal)
    pending = (
        await session.exec(
            select(TransferRow.id).where(
                TransferRow.case_id == case.id, TransferRow.status == TransferStatus.PENDING.value
            )
        )
    ).first()
    check_transfer_request(
        from_municipality=case.municipality,
        to_municipality=command.to_municipality,
        pending_transfer_exists=pending is not None,
    )
    now = utcnow()
    transfer = TransferRow(
        case_id=case.id,
        from_municipality=case.municipality,
        to_municipality=normalise_municipality(command.to_municipality),
        status=TransferStatus.PENDING.value,
        requested_at=now,
        requested_by=principal.actor,
    )
    session.add(transfer)
    try:
        await session.flush()
    except IntegrityError:
        # The partial unique index caught a concurrent request that won the race.
        raise StateConflict("a transfer of this case is already pending") from None
    stage_case_event(
        session,
        case=case,
        event=TransferRequested(
            transfer_id=transfer.id,
            case_id=case.id,
            case_code=case.code,
            from_municipality=transfer.from_municipality,
            to_municipality=transfer.to_municipality,
            requested_at=now,
        ),
    )
    record_audit(session, principal=principal, action="transfer.requested", case_code=case.code)
    await session.commit()
    return transfer, case


async def list_transfers(
    session: AsyncSession, *, principal: Principal, status: str | None
) -> list[tuple[TransferRow, CaseRow]]:
    """Transfers into or out of the caller's municipality."""
    own = municipality_of(principal)
    query = (
        select(TransferRow, CaseRow)
        .join(CaseRow, col(CaseRow.id) == col(TransferRow.case_id))
        .where(or_(TransferRow.from_municipality == own, TransferRow.to_municipality == own))
        .order_by(col(TransferRow.requested_at).desc())
        .limit(200)
    )
    if status is not None:
        query = query.where(TransferRow.status == status)
    return [(transfer, case) for transfer, case in (await session.exec(query)).all()]


async def _transfer_to_decide(
    session: AsyncSession, *, principal: Principal, transfer_id: str
) -> tuple[TransferRow, CaseRow]:
    own = municipality_of(principal)
    transfer = await session.get(TransferRow, transfer_id, with_for_update=True)
    if transfer is None or own not in (transfer.from_municipality, transfer.to_municipality):
        raise NotFound(TRANSFER_NOT_FOUND)
    if transfer.to_municipality != own:
        raise Forbidden("only the receiving municipality accepts or declines a transfer")
    check_decision(status=TransferStatus(transfer.status))
    case = await session.get(CaseRow, transfer.case_id, with_for_update=True)
    if case is None:  # the foreign key makes this impossible; be loud if it ever is not
        raise RuntimeError("transfer without its case")
    return transfer, case


async def accept_transfer(
    session: AsyncSession, *, principal: Principal, transfer_id: str
) -> tuple[TransferRow, CaseRow]:
    """The case, its persons and its access move; the previous coordinator is unassigned."""
    transfer, case = await _transfer_to_decide(
        session, principal=principal, transfer_id=transfer_id
    )
    ensure_open(CaseStatus(case.status))
    now = utcnow()
    transfer.status = TransferStatus.ACCEPTED.value
    transfer.decided_at = now
    transfer.decided_by = principal.actor
    case.municipality = transfer.to_municipality
    case.coordinator = None  # the receiving side assigns its own coordinator
    session.add_all([transfer, case])
    stage_case_event(
        session,
        case=case,
        event=CaseTransferred(
            transfer_id=transfer.id,
            case_id=case.id,
            case_code=case.code,
            from_municipality=transfer.from_municipality,
            to_municipality=transfer.to_municipality,
            transferred_at=now,
        ),
    )
    record_audit(session, principal=principal, action="transfer.accepted", case_code=case.code)
    await session.commit()
    return transfer, case


async def decline_transfer(
    session: AsyncSession, *, principal: Principal, transfer_id: str, command: DeclineTransfer
) -> tuple[TransferRow, CaseRow]:
    transfer, case = await _transfer_to_decide(
        session, principal=principal, transfer_id=transfer_id
    )
    now = utcnow()
    transfer.status = TransferStatus.DECLINED.value
    transfer.decided_at = now
    transfer.decided_by = principal.actor
    transfer.decision_reason = command.reason.value
    session.add(transfer)
    stage_case_event(
        session,
        case=case,
        event=TransferDeclined(
            transfer_id=transfer.id,
            case_id=case.id,
            case_code=case.code,
            from_municipality=transfer.from_municipality,
            to_municipality=transfer.to_municipality,
            declined_at=now,
            reason_code=transfer.decision_reason,
        ),
    )
    record_audit(session, principal=principal, action="transfer.declined", case_code=case.code)
    await session.commit()
    return transfer, case
