"""Home, "what needs me today": one card per kind of work, each opening a filtered list.

API calls: referrals of the municipality (1), pending transfers (1), consents ending within
30 days (1), unread notifications (1), partners' open suggestions (1): five, whatever the
caseload. Other roles land on their own day (partner, registry, supervisor and auditor
modules).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from homeward.console.api import auditor, partner, registry, supervisor
from homeward.console.vocabulary import event_kind
from homeward.console.web import SignedIn, ViewerDep, console_path

router = APIRouter()
ANSWERS = ("accepted", "rejected", "on-hold")
OVERDUE_EVENTS = ("referral.escalated", "referral.overdue")
EXPIRY_DAYS = 30
EXPIRY_EVENTS = ("document_record.expiry_warned", "document_record.expired")


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
    referrals, transfers, consents, inbox, suggested = await asyncio.gather(
        apis.referrals.referrals(limit=100),
        apis.intake.transfers(status="pending"),
        apis.intake.expiring_consents(within_days=EXPIRY_DAYS),
        apis.notifications.inbox(unread_only=True, limit=50),
        apis.referrals.suggestions(status="open"),
    )
    items = referrals["items"]
    notes = inbox["items"]
    for note in notes:
        note["local_link"] = console_path(note["link"])
    cards = {
        "blocked": [r for r in items if r["blocked_on"]],
        "answers": [r for r in items if r["state"] in ANSWERS],
        "transfers": [t for t in transfers if t["to_municipality"] == municipality],
        "overdue": [n for n in notes if event_kind(n["event_type"]) in OVERDUE_EVENTS],
        "expiring": [n for n in notes if event_kind(n["event_type"]) in EXPIRY_EVENTS],
        "consents": consents,
        "suggestions": suggested,
    }
    return viewer.render("home.html", cards=cards, unread=inbox["unread"], inbox=notes[:5],
                         expiry_days=EXPIRY_DAYS)  # fmt: skip
