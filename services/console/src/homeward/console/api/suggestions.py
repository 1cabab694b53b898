"""Partners' suggestions of onward referrals, for the coordinator: turned into a draft
referral in one step (the agency chosen here), or declined with a reason the partner sees.

API calls: the open suggestions (1) and the agencies of each suggested service (1 each);
a decision (1).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from markupsafe import Markup

from homeward.console.clients import ApiRefusal
from homeward.console.forms import FormState
from homeward.console.vocabulary import LABELS
from homeward.console.web import PAGE_REFUSALS, SignedIn, SignedInForm, Viewer

router = APIRouter(prefix="/suggestions")


async def _page(viewer: Viewer, form: FormState, status_code: int = 200) -> Response:
    apis = viewer.apis()
    found = await apis.referrals.suggestions(status="open")
    municipality = viewer.user.get("municipality")
    categories = sorted({s["service_category"] for s in found})
    directories = await asyncio.gather(
        *(
            apis.referrals.agencies(service_category=c, municipality=municipality)
            for c in categories
        )
    )
    label = viewer.label
    agencies: dict[str, list[tuple[str, Any]]] = {
        category: [
            (a["id"], Markup('<span translate="no">{}</span>: {}').format(
                a["name"], label("capacity", a["capacity"])))
            for a in directory if a["capacity"] != "closed"
        ]
        for category, directory in zip(categories, directories, strict=True)
    }  # fmt: skip
    return viewer.render(
        "suggestions.html",
        suggestions=found,
        agencies=agencies,
        form=form,
        status_code=status_code,
    )


@router.get("", include_in_schema=False)
async def suggestions(viewer: SignedIn) -> Response:
    return await _page(viewer, FormState())


@router.post("/{suggestion_id}/{decision}", include_in_schema=False)
async def decide(
    viewer: SignedIn, form: SignedInForm, suggestion_id: str, decision: str
) -> Response:
    if decision not in ("accept", "decline"):
        raise ApiRefusal(404)
    _ = viewer.gettext
    state = FormState.of(form)
    field = f"{suggestion_id}-{decision}"
    choice = state.text(field)
    if decision == "accept" and not choice:
        state.errors[field] = _("Choose the agency")
    if decision == "decline" and choice not in LABELS["suggestion_decline_reason"]:
        state.errors[field] = _("Choose a reason")
    body = {"agency_id": choice} if decision == "accept" else {"reason": choice}

    def then(decided: dict[str, Any]) -> str:
        if decision == "accept":  # the draft, to check its gates and send it
            return f"/referrals/{decided['referral_id']}"
        return "/suggestions?done=decline"

    if done := await viewer.submit(
        state,
        lambda: viewer.apis().referrals.decide_suggestion(suggestion_id, decision, body),
        then,
        {"agency_id": field, "reason": field},
        raising=PAGE_REFUSALS,
    ):
        return done
    return await _page(viewer, state, state.status_code)
