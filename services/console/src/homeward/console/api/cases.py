"""Find, the caseload and the family page."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from homeward.common.codes import CODE_MAX_LENGTH, parse_code
from homeward.console.clients import ApiRefusal, Apis
from homeward.console.vocabulary import LABELS
from homeward.console.web import Paging, SignedIn

router = APIRouter()


@router.get("/find", include_in_schema=False)
async def find(viewer: SignedIn, code: str = "") -> Response:
    """One box for a case or person code typed any way; names are never searchable."""
    if not code.strip():
        return viewer.render("find.html", code="", error=None)
    typed = code[:CODE_MAX_LENGTH]
    parsed = parse_code(typed)
    if parsed is None:
        return viewer.render("find.html", code=typed, error="format", status_code=400)
    try:
        found = await viewer.apis().intake.case_by_code(parsed.value)
    except ApiRefusal as refusal:
        if refusal.status in (403, 404, 422):
            return viewer.render("find.html", code=typed, error="none", status_code=404)
        raise
    return RedirectResponse(f"/cases/{found['id']}", status_code=303)


@router.get("/cases", include_in_schema=False)
async def caseload(
    viewer: SignedIn, mine: bool = False, status: str = "open", page: int = 1
) -> Response:
    """My cases or the municipality's, filtered by status, a page at a time."""
    status = status if status in ("open", "closed", "all") else "open"
    paging = Paging.at(page)
    listing = await viewer.apis().intake.cases(
        status=None if status == "all" else status,
        coordinator="me" if mine else None,
        limit=paging.size,
        offset=paging.offset,
    )
    return viewer.render("caseload.html", cases=listing["items"], total=listing["total"],
                         paging=paging, mine=mine, status=status)  # fmt: skip


# The newest notifications about the case on its timeline (the inbox keeps them all).
TIMELINE_NOTIFICATIONS = 50


async def family(apis: Apis, case_id: str) -> dict[str, Any]:
    """Everything the family page shows, in eight API calls whatever the family's size: the
    case first (a case the user may not see stops there), then its referrals, assessments,
    consents, receiving family, documents' readiness and history, and the user's
    notifications about the case together."""
    case = await apis.intake.case(case_id)
    (referrals, assessments, consents, receiving, readiness, documented,
     told) = await asyncio.gather(
        apis.referrals.referrals(case_id=case_id, limit=100),
        apis.intake.case_assessments(case_id),
        apis.intake.case_consents(case_id),
        _absent_as_none(apis.intake.receiving_family(case_id)),
        _readiness(apis, case_id),
        _absent_as_none(apis.documents.case_records(case_id)),
        apis.notifications.inbox(case_id=case_id, limit=TIMELINE_NOTIFICATIONS),
    )  # fmt: skip
    people = []
    for person in case["persons"]:
        mine = [r for r in referrals["items"] if r["person_id"] == person["id"]]
        own_assessments = [a for a in assessments if a["person_id"] == person["id"]]
        own_consents = [c for c in consents if c["person_id"] == person["id"]]
        people.append({
            **person, "assessments": own_assessments, "consents": own_consents,
            "readiness": readiness.get(person["id"]), "referrals": mine,
            "needs": needs_table(own_assessments), "consent_matrix": consent_matrix(own_consents),
        })  # fmt: skip
    return {"case": case, "people": people, "referrals": referrals["items"],
            "receiving": receiving,
            "timeline": timeline(case, people, referrals["items"], told["items"],
                                 documented)}  # fmt: skip


async def _absent_as_none(call: Awaitable[dict[str, Any]]) -> dict[str, Any] | None:
    try:
        return await call
    except ApiRefusal as refusal:
        if refusal.status == 404:  # none recorded yet (documents: not heard of the family)
            return None
        raise


async def _readiness(apis: Apis, case_id: str) -> dict[str, dict[str, Any]]:
    try:
        found = await apis.documents.case_readiness(case_id)
    except ApiRefusal as refusal:
        if refusal.status == 404:  # documents has not heard of the family yet
            return {}
        raise
    return {entry["person_id"]: entry for entry in found}


def needs_table(assessments: list[dict[str, Any]]) -> dict[str, Any]:
    """Domains x dates (oldest first), a level or None per cell."""
    dated = sorted(assessments, key=lambda a: (a["assessed_on"], a["recorded_at"]))
    domains = [d for d in LABELS["need_domain"] if any(d in a["levels"] for a in dated)]
    return {
        "dates": [a["assessed_on"] for a in dated],
        "rows": [(domain, [a["levels"].get(domain) for a in dated]) for domain in domains],
    }


def consent_matrix(consents: list[dict[str, Any]]) -> dict[str, Any]:
    """Agency type x data category: the consent in force (its end date), if any."""
    in_force = [c for c in consents if c["in_force"]]
    types = sorted({c["recipient_agency_type"] for c in in_force})
    cells = {
        (c["recipient_agency_type"], category): c["valid_until"]
        for c in in_force
        for category in c["categories"]
    }
    return {"types": types, "categories": list(LABELS["data_category"]), "cells": cells}


def timeline(
    case: dict[str, Any],
    people: list[dict[str, Any]],
    referrals: list[dict[str, Any]],
    notifications: list[dict[str, Any]],
    documented: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One story of the case across the services, newest first, from what the page read:
    intake's, referrals', documents' (records and their status changes, tasks raised and
    closed; None: documents has not heard of the family) and what the user was told about
    the case (notifications)."""
    events: list[dict[str, Any]] = [{"at": case["registered_at"], "kind": "registered"}]
    if case["closed_at"]:
        events.append({"at": case["closed_at"], "kind": "closed", "code": case["close_reason"]})
    for person in people:
        for a in person["assessments"]:
            events.append({"at": a["recorded_at"], "kind": "assessed", "person": person["code"]})
        for c in person["consents"]:
            events.append(
                {
                    "at": c["granted_at"],
                    "kind": "consented",
                    "person": person["code"],
                    "code": c["recipient_agency_type"],
                }
            )
            if c["revoked_at"]:
                events.append(
                    {
                        "at": c["revoked_at"],
                        "kind": "revoked",
                        "person": person["code"],
                        "code": c["recipient_agency_type"],
                    }
                )
    for r in referrals:
        for kind, at in (
            ("referred", "created_at"),
            ("sent", "sent_at"),
            ("accepted", "accepted_at"),
            ("ended", "ended_at"),
        ):
            if r[at]:
                events.append(
                    {
                        "at": r[at],
                        "kind": kind,
                        "person": r["person_code"],
                        "code": r["service_category"],
                        "state": r["state"],
                    }
                )
    for n in notifications:
        events.append({"at": n["created_at"], "kind": "notified", "code": n["event_type"]})
    if documented is not None:
        codes = {person["id"]: person["code"] for person in people}
        events.extend(documents_events(documented, codes))
    return sorted(events, key=lambda e: e["at"], reverse=True)


def documents_events(documented: dict[str, Any], codes: dict[str, str]) -> list[dict[str, Any]]:
    """Each record's opening and status changes; each task's raising and closing. A task's
    person is named by intake's code (documents may not have heard of the person yet)."""
    events: list[dict[str, Any]] = []
    for person in documented["persons"]:
        for record in person["records"]:
            for change in record["changes"]:
                events.append({
                    "at": change["at"], "person": person["person_code"],
                    "kind": "document_recorded" if change["from_status"] is None
                    else "document_status",
                    "code": record["document_type"], "state": change["to_status"],
                })  # fmt: skip
    for task in documented["tasks"]:
        person = codes.get(task["person_id"]) or task["person_code"]
        for kind, at in (("task_raised", "raised_at"), ("task_closed", "closed_at")):
            if task[at]:
                events.append({"at": task[at], "kind": kind, "person": person,
                               "code": task["service_category"]})  # fmt: skip
    return events


@router.get("/cases/{case_id}", include_in_schema=False)
async def family_page(viewer: SignedIn, case_id: str) -> Response:
    return viewer.render("family.html", **await family(viewer.apis(), case_id))
