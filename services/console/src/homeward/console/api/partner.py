"""A partner agency's workspace: the referrals addressed to it, acted on from one page.

What a partner sees of a case is what the referrals API gives it (the consented categories);
a person's name only through intake's need-to-know read, for a stated purpose, audited there.
The links of referral emails open `/referrals/{id}`: for a partner that is this page.

API calls: the incoming list (1); a referral's page (1), an action (1 + the page again).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from homeward.common.codes import CODE_MAX_LENGTH
from homeward.console.clients import ApiRefusal
from homeward.console.forms import FormState
from homeward.console.web import PAGE_REFUSALS, SignedIn, SignedInForm, Viewer

router = APIRouter(prefix="/incoming")
PARTNER = "partner"
# What the agency may do, in the order its page offers it.
AGENCY_ACTIONS = ("accept", "start", "resume", "complete", "hold", "reject", "fail")
WITH_REASON = frozenset({"reject", "hold", "fail"})
# While the agency serves the person: identity may be asked for, onward services suggested.
SERVING = frozenset({"accepted", "in-progress", "on-hold"})
OPEN = SERVING | {"requested"}
INCOMING_ROWS = 100


def is_partner(viewer: Viewer) -> bool:
    return PARTNER in viewer.user.get("roles", [])


def _deadline(referral: dict[str, Any]) -> str:
    return referral.get("due_at") or "9999"


@router.get("", include_in_schema=False)
async def incoming(viewer: SignedIn, code: str = "") -> Response:
    """Open referrals of my agency, the one due first on top (the API orders by creation:
    the newest `INCOMING_ROWS` are sorted here, and the page says when there are more), or
    those of one case or person code, as the referrals API finds it typed any way."""
    code = code.strip()[:CODE_MAX_LENGTH]
    listing = await viewer.apis().referrals.referrals(
        state=sorted(OPEN), code=code or None, limit=INCOMING_ROWS
    )
    cards = sorted(listing["items"], key=_deadline)
    return viewer.render("partner/incoming.html", referrals=cards, total=listing["total"],
                         code=code)  # fmt: skip


async def referral_page(
    viewer: Viewer, referral_id: str, form: FormState | None = None, status_code: int = 200
) -> Response:
    referral = await viewer.apis().referrals.referral(referral_id)
    actions = [a for a in AGENCY_ACTIONS if a in referral["allowed_actions"]]
    return viewer.render(
        "partner/referral.html",
        referral=referral,
        actions=actions,
        serving=referral["state"] in SERVING,
        form=form or FormState(),
        status_code=status_code,
    )


@router.get("/{referral_id}", include_in_schema=False)
async def one(viewer: SignedIn, referral_id: str) -> Response:
    return await referral_page(viewer, referral_id)


@router.post("/{referral_id}/act/{action}", include_in_schema=False)
async def act(viewer: SignedIn, form: SignedInForm, referral_id: str, action: str) -> Response:
    if action not in AGENCY_ACTIONS:
        raise ApiRefusal(404)
    _ = viewer.gettext
    state = FormState.of(form)
    body: dict[str, Any] = {}
    if action in WITH_REASON:
        reason = state.choice(f"{action}-reason", "reason_code", _("Choose a reason"))
        body["reason"] = reason
    if action == "complete":
        outcome = state.choice("outcome", "outcome", _("Choose the outcome"))
        body = {"outcome": outcome, "note": state.text("note") or None}
    fields = {"reason": f"{action}-reason", "outcome": "outcome", "note": "note"}
    if done := await viewer.submit(
        state,
        lambda: viewer.apis().referrals.act(referral_id, action, body),
        f"/incoming/{referral_id}?done={action}",
        fields,
        raising=PAGE_REFUSALS,
    ):
        return done
    return await referral_page(viewer, referral_id, state, state.status_code)


@router.post("/{referral_id}/identity", include_in_schema=False)
async def reveal(viewer: SignedIn, form: SignedInForm, referral_id: str) -> Response:
    """The person's name and date of birth, in this response only (intake audits the read)."""
    _ = viewer.gettext
    referral = await viewer.apis().referrals.referral(referral_id)
    state = FormState.of(form)
    purpose = state.choice(
        "purpose", "identity_purpose", _("Choose why you need to see the identity")
    )
    identity = await viewer.reveal(
        state,
        lambda: viewer.apis().intake.agency_identity(referral["person_id"], purpose),
        not_found=_(
            "You may not see this person's identity: your agency needs an accepted, "
            "open referral and the person's consent to share their identity with it."
        ),
        fields={"purpose": "purpose"},
    )
    return viewer.render(
        "partner/identity.html",
        referral=referral,
        form=state,
        identity=identity,
        status_code=200 if identity else 422,
    )


@router.get("/{referral_id}/suggest", include_in_schema=False)
async def suggest_form(viewer: SignedIn, referral_id: str) -> Response:
    referral = await viewer.apis().referrals.referral(referral_id)
    return viewer.render("partner/suggest.html", referral=referral, form=FormState())


@router.post("/{referral_id}/suggest", include_in_schema=False)
async def suggest(viewer: SignedIn, form: SignedInForm, referral_id: str) -> Response:
    _ = viewer.gettext
    state = FormState.of(form)
    category = state.choice("service_category", "service_category", _("Choose the service"))
    reason = state.choice("reason", "suggestion_reason", _("Choose a reason"))
    body = {"service_category": category, "reason": reason, "note": state.text("note") or None}
    if done := await viewer.submit(
        state,
        lambda: viewer.apis().referrals.suggest(referral_id, body),
        f"/incoming/{referral_id}?done=suggest",
        {name: name for name in body},
        raising=PAGE_REFUSALS,
    ):
        return done
    referral = await viewer.apis().referrals.referral(referral_id)
    return viewer.render("partner/suggest.html", referral=referral, form=state, status_code=422)
