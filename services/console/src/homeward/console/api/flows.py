"""Guided flows on a case, each a plain form: assess, consent, assign the coordinator,
transfer, close, register, and show an identity for a stated purpose (on that page view
only)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from homeward.console.clients import ApiRefusal
from homeward.console.forms import FormState
from homeward.console.vocabulary import LABELS
from homeward.console.web import SignedIn, SignedInForm, Viewer

router = APIRouter(prefix="/cases")
PERSON = "/{case_id}/persons/{person_id}"


def _person(case: dict[str, Any], person_id: str) -> dict[str, Any] | None:
    return next((p for p in case["persons"] if p["id"] == person_id), None)


async def _case_and_person(viewer: Viewer, case_id: str, person_id: str) -> tuple[Any, Any]:
    case = await viewer.apis().intake.case(case_id)
    person = _person(case, person_id)
    if person is None:
        raise ApiRefusal(404)
    return case, person


def _done(case_id: str, flash: str) -> str:
    """The case's page, saying what was just done."""
    return f"/cases/{case_id}?done={flash}"


# --- assessment ---------------------------------------------------------------------------


@router.get(f"{PERSON}/assessment", include_in_schema=False)
async def assessment_form(viewer: SignedIn, case_id: str, person_id: str) -> Response:
    case, person = await _case_and_person(viewer, case_id, person_id)
    today = date.today()
    state = FormState(
        values={
            "assessed_on-day": str(today.day),
            "assessed_on-month": str(today.month),
            "assessed_on-year": str(today.year),
        }
    )
    return viewer.render("flows/assessment.html", case=case, person=person, form=state)


@router.post(f"{PERSON}/assessment", include_in_schema=False)
async def record_assessment(
    viewer: SignedIn, form: SignedInForm, case_id: str, person_id: str
) -> Response:
    case, person = await _case_and_person(viewer, case_id, person_id)
    _ = viewer.gettext
    state = FormState.of(form)
    assessed_on = state.day(
        "assessed_on",
        missing=_("Enter the date of the assessment"),
        invalid=_("The date of the assessment must be a real date"),
    )
    if assessed_on and assessed_on > date.today():
        state.errors["assessed_on"] = _("The date of the assessment must be today or in the past")
    levels = {
        domain: state.text(f"level-{domain}")
        for domain in LABELS["need_domain"]
        if state.text(f"level-{domain}") in LABELS["need_level"]
    }
    if not levels:
        state.errors["level-basic-needs"] = _("Choose a level for at least one need")
    body = {
        "assessed_on": assessed_on.isoformat() if assessed_on else None,
        "levels": levels,
        "notes": state.text("notes") or None,
    }
    fields = {"assessed_on": "assessed_on", "notes": "notes", "levels": "level-basic-needs"}
    if done := await viewer.submit(
        state,
        lambda: viewer.apis().intake.record_assessment(case_id, person_id, body),
        _done(case_id, "assessment"),
        fields,
    ):
        return done
    return viewer.render(
        "flows/assessment.html", case=case, person=person, form=state, status_code=422
    )


# --- consent -----------------------------------------------------------------------------


@router.get(f"{PERSON}/consent", include_in_schema=False)
async def consent_form(viewer: SignedIn, case_id: str, person_id: str) -> Response:
    case, person = await _case_and_person(viewer, case_id, person_id)
    consents = await viewer.apis().intake.consents(case_id, person_id)
    return viewer.render(
        "flows/consent.html",
        case=case,
        person=person,
        consents=consents,
        form=FormState(values={"legal_basis": "consent"}),
    )


@router.post(f"{PERSON}/consent", include_in_schema=False)
async def record_consent(
    viewer: SignedIn, form: SignedInForm, case_id: str, person_id: str
) -> Response:
    case, person = await _case_and_person(viewer, case_id, person_id)
    _ = viewer.gettext
    state = FormState.of(form)
    agency_type = state.require("recipient_agency_type", _("Choose who the consent is for"))
    categories = [c for c in state.many("categories") if c in LABELS["data_category"]]
    if not categories:
        state.errors["categories"] = _("Choose at least one kind of information")
    basis = state.require("legal_basis", _("Choose the legal basis"))
    until = state.day(
        "valid_until",
        missing=_("Enter the date the consent ends"),
        invalid=_("The end date must be a real date"),
    )
    if until and until <= date.today():
        state.errors["valid_until"] = _("The end date must be in the future")
    # A child's consent is given by their guardian; an adult's by themselves.
    giver = person["guardian_id"] if person["age_group"] == "child" else person["id"]
    body = {
        "recipient_agency_type": agency_type,
        "categories": categories,
        "legal_basis": basis,
        "given_by_person_id": giver,
        "valid_until": until.isoformat() if until else None,
    }
    fields = {name: name for name in ("recipient_agency_type", "categories", "legal_basis",
                                      "valid_until")}  # fmt: skip
    if done := await viewer.submit(
        state,
        lambda: viewer.apis().intake.grant_consent(case_id, person_id, body),
        _done(case_id, "consent"),
        fields,
    ):
        return done
    consents = await viewer.apis().intake.consents(case_id, person_id)
    return viewer.render(
        "flows/consent.html",
        case=case,
        person=person,
        consents=consents,
        form=state,
        status_code=422,
    )


@router.post(f"{PERSON}/consents/{{consent_id}}/revoke", include_in_schema=False)
async def revoke_consent(
    viewer: SignedIn, _form: SignedInForm, case_id: str, person_id: str, consent_id: str
) -> Response:
    await viewer.apis().intake.revoke_consent(case_id, person_id, consent_id)
    return RedirectResponse(_done(case_id, "revoked"), status_code=303)


# --- identity ----------------------------------------------------------------------------


@router.get(f"{PERSON}/identity", include_in_schema=False)
async def identity_form(viewer: SignedIn, case_id: str, person_id: str) -> Response:
    case, person = await _case_and_person(viewer, case_id, person_id)
    return viewer.render(
        "flows/identity.html", case=case, person=person, form=FormState(), identity=None
    )


@router.post(f"{PERSON}/identity", include_in_schema=False)
async def show_identity(
    viewer: SignedIn, form: SignedInForm, case_id: str, person_id: str
) -> Response:
    """The identity, for the purpose given, in this response only (intake audits the read)."""
    case, person = await _case_and_person(viewer, case_id, person_id)
    _ = viewer.gettext
    state = FormState.of(form)
    purpose = state.choice(
        "purpose", "identity_purpose", _("Choose why you need to see the identity")
    )
    identity = await viewer.reveal(
        state,
        lambda: viewer.apis().intake.identity(case_id, person_id, purpose),
        not_found=_("No identity is recorded for this person."),
        fields={"purpose": "purpose"},
    )
    return viewer.render(
        "flows/identity.html",
        case=case,
        person=person,
        form=state,
        identity=identity,
        status_code=200 if identity else 422,
    )


# --- the coordinator ----------------------------------------------------------------------


async def _coordinator_page(
    viewer: Viewer, case: dict[str, Any], state: FormState, status_code: int = 200
) -> Response:
    """A picker of the municipality's known coordinators (intake's list): never free text."""
    listed = await viewer.apis().intake.coordinators()
    choices = [(c["username"], c["username"]) for c in listed["items"]]
    if not state.values and case["coordinator"]:
        state.values["coordinator"] = case["coordinator"]
    return viewer.render(
        "flows/coordinator.html", case=case, form=state, choices=choices, status_code=status_code
    )


@router.get("/{case_id}/coordinator", include_in_schema=False)
async def coordinator_form(viewer: SignedIn, case_id: str) -> Response:
    case = await viewer.apis().intake.case(case_id)
    return await _coordinator_page(viewer, case, FormState())


@router.post("/{case_id}/coordinator", include_in_schema=False)
async def assign_coordinator(viewer: SignedIn, form: SignedInForm, case_id: str) -> Response:
    case = await viewer.apis().intake.case(case_id)
    _ = viewer.gettext
    state = FormState.of(form)
    username = state.require("coordinator", _("Choose the coordinator of the case"))
    if done := await viewer.submit(
        state,
        lambda: viewer.apis().intake.assign_coordinator(case_id, username),
        _done(case_id, "coordinator"),
        {"coordinator": "coordinator"},
    ):
        return done
    # Intake's refusal says no more than "not assignable" (whoever it is).
    state.errors.setdefault("coordinator", _("Choose one of the coordinators in the list"))
    return await _coordinator_page(viewer, case, state, 422)


# --- transfer and closing ----------------------------------------------------------------


@router.post("/transfers/{transfer_id}/{decision}", include_in_schema=False)
async def decide_transfer(
    viewer: SignedIn, _form: SignedInForm, transfer_id: str, decision: str
) -> Response:
    """Accept or decline a case transfer into the municipality (from the home page's card)."""
    if decision not in ("accept", "decline"):
        raise ApiRefusal(404)
    await viewer.apis().intake.decide_transfer(transfer_id, decision)
    return RedirectResponse(f"/?done=transfer-{decision}", status_code=303)


@router.get("/{case_id}/transfer", include_in_schema=False)
async def transfer_form(viewer: SignedIn, case_id: str) -> Response:
    case = await viewer.apis().intake.case(case_id)
    return viewer.render("flows/transfer.html", case=case, form=FormState())


@router.post("/{case_id}/transfer", include_in_schema=False)
async def request_transfer(viewer: SignedIn, form: SignedInForm, case_id: str) -> Response:
    case = await viewer.apis().intake.case(case_id)
    _ = viewer.gettext
    state = FormState.of(form)
    to = state.require("to_municipality", _("Enter the municipality that takes over the case"))
    if done := await viewer.submit(
        state,
        lambda: viewer.apis().intake.request_transfer(case_id, to.lower()),
        _done(case_id, "transfer"),
        {"to_municipality": "to_municipality"},
    ):
        return done
    return viewer.render("flows/transfer.html", case=case, form=state, status_code=422)


@router.get("/{case_id}/close", include_in_schema=False)
async def close_form(viewer: SignedIn, case_id: str) -> Response:
    case = await viewer.apis().intake.case(case_id)
    return viewer.render("flows/close.html", case=case, form=FormState())


@router.post("/{case_id}/close", include_in_schema=False)
async def close_case(viewer: SignedIn, form: SignedInForm, case_id: str) -> Response:
    case = await viewer.apis().intake.case(case_id)
    _ = viewer.gettext
    state = FormState.of(form)
    reason = state.choice("reason", "close_reason", _("Choose why the case is closed"))
    if done := await viewer.submit(
        state,
        lambda: viewer.apis().intake.close_case(case_id, reason),
        _done(case_id, "closed"),
        {"reason": "reason"},
    ):
        return done
    return viewer.render("flows/close.html", case=case, form=state, status_code=422)
