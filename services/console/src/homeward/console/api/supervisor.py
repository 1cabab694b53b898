"""A supervisor's workspace: escalations, transfers and closures to decide, consent overrides,
erasure (after a confirmation that says what stays), and the outcome indicators as a chart.

API calls: the day's page (transfers, closure requests, referrals escalated to a supervisor,
referrals blocked (for consent overrides), the unread count: 5); a decision (1); the
indicators (1).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from homeward.console.api.charts import bar_chart
from homeward.console.clients import ApiRefusal
from homeward.console.forms import FormState
from homeward.console.web import PAGE_REFUSALS, SignedIn, SignedInForm, Viewer

router = APIRouter(prefix="/supervisor")
SUPERVISOR = "supervisor"
LIST_ROWS = 50
DECISIONS = {"transfers": "transfer_decline_reason", "closures": "closure_rejection"}


def is_supervisor(viewer: Viewer) -> bool:
    return SUPERVISOR in viewer.user.get("roles", [])


async def _today(viewer: Viewer, form: FormState, status_code: int = 200) -> Response:
    apis = viewer.apis()
    transfers, closures, escalated, blocked, unread = await asyncio.gather(
        apis.intake.transfers(status="pending"),
        apis.intake.closure_requests(status="pending"),
        apis.referrals.referrals(escalated=SUPERVISOR, limit=LIST_ROWS),
        apis.referrals.referrals(blocked=True, limit=LIST_ROWS),
        apis.notifications.unread(),
    )
    municipality = viewer.user.get("municipality")
    return viewer.render(
        "supervisor/today.html",
        transfers=[t for t in transfers if t["to_municipality"] == municipality],
        closures=closures,
        consent_blocked=[r for r in blocked["items"] if r["missing_consent"]],
        escalated=escalated,
        unread=unread,
        form=form,
        status_code=status_code,
    )


@router.get("", include_in_schema=False)
async def today(viewer: SignedIn) -> Response:
    return await _today(viewer, FormState())


@router.get("/referrals/{referral_id}/override", include_in_schema=False)
async def override_form(viewer: SignedIn, referral_id: str) -> Response:
    referral = await viewer.apis().referrals.referral(referral_id)
    return viewer.render("supervisor/override.html", referral=referral, form=FormState())


@router.post("/referrals/{referral_id}/override", include_in_schema=False)
async def override(viewer: SignedIn, form: SignedInForm, referral_id: str) -> Response:
    """Lift a consent block on a legal basis other than consent, with the reason (audited)."""
    _ = viewer.gettext
    state = FormState.of(form)
    basis = state.choice("legal_basis", "override_legal_basis", _("Choose the legal basis"))
    reason = state.text("reason")
    if len(reason) < 10:
        state.errors["reason"] = _("Say why, in at least 10 characters")
    body = {"legal_basis": basis, "reason": reason}
    if done := await viewer.submit(
        state,
        lambda: viewer.apis().referrals.override_consent(referral_id, body),
        "/supervisor?done=override",
        {name: name for name in body},
        raising=PAGE_REFUSALS,
    ):
        return done
    referral = await viewer.apis().referrals.referral(referral_id)
    return viewer.render("supervisor/override.html", referral=referral, form=state, status_code=422)


@router.get("/cases/{case_id}/erase", include_in_schema=False)
async def erase_confirmation(viewer: SignedIn, case_id: str) -> Response:
    case = await viewer.apis().intake.case(case_id)
    return viewer.render("supervisor/erase.html", case=case, form=FormState())


@router.post("/cases/{case_id}/erase", include_in_schema=False)
async def erase(viewer: SignedIn, form: SignedInForm, case_id: str) -> Response:
    _ = viewer.gettext
    state = FormState.of(form)
    case = await viewer.apis().intake.case(case_id)
    if state.text("confirm") != case["code"]:
        state.errors["confirm"] = _("Type the case code to confirm")
    if done := await viewer.submit(
        state,
        lambda: viewer.apis().intake.erase(case_id),
        "/supervisor?done=erased",
        raising=PAGE_REFUSALS,
    ):
        return done
    return viewer.render("supervisor/erase.html", case=case, form=state, status_code=422)


@router.get("/indicators", include_in_schema=False)
async def indicators(viewer: SignedIn) -> Response:
    found = await viewer.apis().referrals.indicators()
    label = viewer.label
    rows = [
        (f"{label('service_category', r['service_category'])}: "
         f"{label('referral_state', r['state'])}", r["count"])
        for r in found["referrals"]
    ]  # fmt: skip
    return viewer.render(
        "supervisor/indicators.html",
        indicators=found,
        rows=rows,
        chart=bar_chart(rows, title=viewer.gettext("Referrals by service and state")),
    )


# Last: its path pattern would also match the routes above.
@router.post("/{kind}/{item_id}/{decision}", include_in_schema=False)
async def decide(
    viewer: SignedIn, form: SignedInForm, kind: str, item_id: str, decision: str
) -> Response:
    """Accept or decline a transfer; approve or reject a closure (declining needs a reason)."""
    allowed = {"transfers": ("accept", "decline"), "closures": ("approve", "reject")}
    if decision not in allowed.get(kind, ()):
        raise ApiRefusal(404)
    _ = viewer.gettext
    state = FormState.of(form)
    field = f"{item_id}-reason"
    body: dict[str, Any] | None = None
    if decision in ("decline", "reject"):
        reason = state.choice(field, DECISIONS[kind], _("Choose a reason"))
        body = {"reason": reason}
    intake = viewer.apis().intake
    decided = intake.decide_transfer if kind == "transfers" else intake.decide_closure
    if done := await viewer.submit(
        state,
        lambda: decided(item_id, decision, body),
        f"/supervisor?done={kind}-{decision}",
        {"reason": field},
        raising=PAGE_REFUSALS,
    ):
        return done
    return await _today(viewer, state, state.status_code)
