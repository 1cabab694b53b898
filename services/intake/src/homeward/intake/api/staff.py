"""Who may coordinate a case: the picker of the console's assignment form."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from homeward.common.service import SessionDep
from homeward.intake.api.deps import CaseWriter, SettingsDep
from homeward.intake.handlers.access import municipality_of
from homeward.intake.handlers.staff import coordinators_of

router = APIRouter(prefix="/v1/coordinators", tags=["cases"])


class CoordinatorView(BaseModel):
    username: str
    last_seen_at: datetime


class CoordinatorList(BaseModel):
    """Coordinators of your municipality whom intake saw at work in the last
    `HOMEWARD_STAFF_SEEN_WITHIN_DAYS` (default 90), by username."""

    items: list[CoordinatorView]


@router.get("", name="list_coordinators", response_model=CoordinatorList)
async def list_coordinators(
    principal: CaseWriter, session: SessionDep, settings: SettingsDep
) -> CoordinatorList:
    """The coordinators of your municipality a case may be assigned to."""
    rows = await coordinators_of(
        session, municipality=municipality_of(principal), seen_within=settings.staff_seen_within
    )
    return CoordinatorList(
        items=[CoordinatorView(username=r.username, last_seen_at=r.last_seen_at) for r in rows]
    )
