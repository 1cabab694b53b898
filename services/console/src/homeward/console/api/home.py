"""Home, "what needs me today": one card per kind of work, each opening a filtered list.

API calls: blocked, answered and overdue referrals (3), pending transfers (1), consents ending
and documents expiring within 30 days (2), unread notifications (1), partners' open
suggestions (1): eight, together, whatever the caseload; each card counts its list's total.
Other roles land on their own day (partner, registry, supervisor and auditor modules).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from homeward.console.api import auditor, partner, registry, supervisor
from homeward.console.web import SignedIn, ViewerDep, console_path

router = APIRouter()
ANSWERS = ("accepted", "rejected", "on-hold")
EXPIRY_DAYS = 30
CARD_ROWS = 5


@router.get("/", include_in_schema=False)
async def home(viewer: ViewerDep) -> Response:
    if not viewer.signed_in:
        return RedirectResponse("/login?next=/", status_code=303)
    if partner.is_partner(viewer):
        return await partner.incoming(viewer)
    if registry.is_officer(viewer):
        return await registry.queue(viewer)
    if supervisor.is_supervisor(viewer):
        return await supervisor.today(viewer)
    if auditor.is_auditor(viewer):
        return await auditor.trail(viewer)
    return await today(viewer)


async def today(viewer: SignedIn) -> Response:
    apis = viewer.apis()
    municipality = viewer.user.get("municipality")
    referrals = apis.referrals.referrals
    (
        blocked,
        answers,
        overdue,
        transfers,
        consents,
        documents,
        inbox,
        suggested,
    ) = await asyncio.gather(
        referrals(blocked=True, limit=CARD_ROWS),
        referrals(state=ANSWERS, limit=CARD_ROWS),
        referrals(escalated="coordinator", limit=CARD_ROWS),
        apis.intake.transfers(status="pending"),
        apis.intake.expiring_consents(within_days=EXPIRY_DAYS),
        apis.documents.expiring_records(within_days=EXPIRY_DAYS, limit=CARD_ROWS),
        apis.notifications.inbox(unread_only=True, limit=CARD_ROWS),
        apis.referrals.suggestions(status="open"),
    )
    notes = inbox["items"]
    for note in notes:
        note["local_link"] = console_path(note["link"])
    cards = {
        "blocked": blocked,
        "answers": answers,
        "overdue": overdue,
        "documents": documents,
        "transfers": [t for t in transfers if t["to_municipality"] == municipality],
        "consents": consents,
        "suggestions": suggested,
    }
    return viewer.render("home.html", cards=cards, unread=inbox["unread"], inbox=notes,
                         rows=CARD_ROWS, expiry_days=EXPIRY_DAYS)  # fmt: skip


@router.get("/expiring", include_in_schema=False)
async def expiring(viewer: SignedIn) -> Response:
    """Documents expiring and (for the municipality's staff) consents ending, soonest first,
    so that a family can renew them in time; the civil registry sees its documents."""
    apis = viewer.apis()
    documents = apis.documents.expiring_records(within_days=EXPIRY_DAYS)
    officer = registry.is_officer(viewer)
    if officer:  # consents are intake's: the registry does not read them
        found, consents = await documents, []
    else:
        found, consents = await asyncio.gather(
            documents, apis.intake.expiring_consents(within_days=EXPIRY_DAYS)
        )
    return viewer.render("expiring.html", documents=found, expiry_days=EXPIRY_DAYS, officer=officer,
                         consents=sorted(consents, key=lambda c: c["valid_until"]))  # fmt: skip
