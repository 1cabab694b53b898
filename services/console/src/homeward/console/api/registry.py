"""The civil registry's workspace (documents officers): the task queue, a person's records.

API calls: the queue (a page of open tasks, oldest first; the documents expiring soonest; the
unread count: 3); a person's records (1); a status change (1 + the page again).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from homeward.console.clients import ApiRefusal
from homeward.console.forms import FormState
from homeward.console.vocabulary import LABELS
from homeward.console.web import PAGE_REFUSALS, Paging, SignedIn, SignedInForm, Viewer

router = APIRouter(prefix="/registry")
OFFICER = "documents-officer"
EXPIRY_DAYS = 30
EXPIRING_ROWS = 10
DOCUMENTATION = "documentation"  # the only purpose the registry reads an identity for
# Statuses that always need a reason (the documents service refuses them without one).
REASON_REQUIRED = frozenset({"rejected", "not-applicable"})


def is_officer(viewer: Viewer) -> bool:
    return OFFICER in viewer.user.get("roles", [])


@router.get("", include_in_schema=False)
async def queue(viewer: SignedIn, page: int = 1) -> Response:
    apis = viewer.apis()
    paging = Paging.at(page)
    tasks, expiring, unread = await asyncio.gather(
        apis.documents.tasks(status="open", limit=paging.size, offset=paging.offset),
        apis.documents.expiring_records(within_days=EXPIRY_DAYS, limit=EXPIRING_ROWS),
        apis.notifications.unread(),
    )
    return viewer.render("registry/queue.html", tasks=tasks, paging=paging, expiring=expiring,
                         expiry_days=EXPIRY_DAYS, unread=unread)  # fmt: skip


@router.get("/persons/{person_id}", include_in_schema=False)
async def person(viewer: SignedIn, person_id: str) -> Response:
    found = await viewer.apis().documents.records(person_id)
    return viewer.render("registry/person.html", person=found)


@router.post("/persons/{person_id}/identity", include_in_schema=False)
async def identity(viewer: SignedIn, form: SignedInForm, person_id: str) -> Response:
    """The name and date of birth to issue papers in, in this response only (audited)."""
    _ = viewer.gettext
    found = await viewer.apis().documents.records(person_id)
    state = FormState.of(form)
    if state.text("purpose") != DOCUMENTATION:
        state.errors["purpose"] = _("Confirm that you need it to issue a document")
    shown = await viewer.reveal(
        state,
        lambda: viewer.apis().intake.registry_identity(person_id, DOCUMENTATION),
        not_found=_("No identity is recorded for this person."),
    )
    return viewer.render("registry/identity.html", person=found, identity=shown, form=state,
                         status_code=200 if shown else 422)  # fmt: skip


async def _record_page(
    viewer: Viewer, person_id: str, record_id: str, form: FormState, status_code: int = 200
) -> Response:
    found = await viewer.apis().documents.records(person_id)
    record = next((r for r in found["records"] if r["id"] == record_id), None)
    if record is None:
        raise ApiRefusal(404)
    label = viewer.label
    choices = [
        (code, label("record_status", code))
        for code in LABELS["record_status"]
        if code != record["status"]
    ]
    return viewer.render("registry/record.html", person=found, record=record, form=form,
                         choices=choices, status_code=status_code)  # fmt: skip


@router.get("/persons/{person_id}/records/{record_id}", include_in_schema=False)
async def record_form(viewer: SignedIn, person_id: str, record_id: str) -> Response:
    return await _record_page(viewer, person_id, record_id, FormState())


@router.post("/persons/{person_id}/records/{record_id}", include_in_schema=False)
async def change_status(
    viewer: SignedIn, form: SignedInForm, person_id: str, record_id: str
) -> Response:
    """Record a document's new status (e.g. a birth certificate issued), with its dates."""
    _ = viewer.gettext
    state = FormState.of(form)
    target = state.choice("to_status", "record_status", _("Choose the new status"))
    body: dict[str, Any] = {"to_status": target}
    if target == "issued":
        issued = state.day("issued_on", missing=_("Enter the date of issue"),
                           invalid=_("Enter a real date"))  # fmt: skip
        body["issued_on"] = issued.isoformat() if issued else None
    if any(state.text(f"expiry_on-{part}") for part in ("day", "month", "year")):
        expiry = state.day("expiry_on", missing="", invalid=_("Enter a real date"))
        body["expiry_on"] = expiry.isoformat() if expiry else None
    if target in REASON_REQUIRED and not state.text("reason"):
        state.errors["reason"] = _("Say why")
    if state.text("reason"):
        body["reason"] = state.text("reason")
    fields = {name: name for name in ("to_status", "issued_on", "expiry_on", "reason")}
    if done := await viewer.submit(
        state,
        lambda: viewer.apis().documents.change_status(record_id, body),
        f"/registry/persons/{person_id}?done={target}",
        fields,
        raising=PAGE_REFUSALS,
    ):
        return done
    return await _record_page(viewer, person_id, record_id, state, state.status_code)
