"""Referring a person, step by step, with the gates shown before anything is sent.

Step 1 (GET, no JavaScript needed): the person and the service category, the person's needs
beside them. Step 2: agencies offering that category in the municipality, with capacity (one
not taking referrals is shown but cannot be chosen; a waiting list is shown as such).
Creating makes a draft: its page shows what would block it (consent, documents) and the
sequencing warning, and only then offers "Send".
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from markupsafe import Markup, escape

from homeward.console.api import home, partner
from homeward.console.clients import ApiRefusal
from homeward.console.forms import FormState
from homeward.console.i18n import LANGUAGE_NAMES
from homeward.console.vocabulary import LABELS
from homeward.console.web import PAGE_REFUSALS, Paging, SignedIn, SignedInForm, Viewer

router = APIRouter()
# Needs that point to a service category, for the suggestion beside step 1.
NEED_TO_CATEGORY = {
    "basic-needs": "basic-needs",
    "physical-health": "health-care",
    "mental-health-and-trauma": "mental-health",
    "education": "school-enrolment",
    "employment": "employment",
    "housing": "housing",
    "legal-documentation": "legal-aid",
    "family-support": "family-support",
    "religious-guidance": "religious-guidance",
}
# The list's tabs, as the referrals API's filters.
FILTERS: dict[str, dict[str, Any]] = {
    "open": {"state": ["draft", "requested", "accepted", "in-progress", "on-hold"]},
    "blocked": {"blocked": True},
    "answers": {"state": list(home.ANSWERS)},
    "overdue": {"escalated": "coordinator"},
    "all": {},
}
CLOSED = "closed"  # an agency's capacity when it takes no new referrals


async def _refer_context(viewer: Viewer, case_id: str, choice: FormState) -> dict[str, Any]:
    """Step 1's choices (person, service, and optionally a language the agency's staff speak
    and trained or accredited staff it has) decide the agencies step 2 offers."""
    apis = viewer.apis()
    case = await apis.intake.case(case_id)
    person = next((p for p in case["persons"] if p["id"] == choice.text("person")), None)
    category = choice.text("category")
    category = category if category in LABELS["service_category"] else None
    language = choice.text("language") if choice.text("language") in LANGUAGE_NAMES else None
    accreditation = choice.text("accreditation")
    accreditation = accreditation if accreditation in LABELS["accreditation"] else None
    agencies: list[dict[str, Any]] = []
    latest: dict[str, str] = {}
    if person is not None:
        assessments = await apis.intake.assessments(case_id, person["id"])
        latest = assessments[0]["levels"] if assessments else {}
    if person is not None and category:
        found = await apis.referrals.agencies(
            service_category=category, municipality=case["municipality"], language=language,
            accreditation=accreditation,
        )  # fmt: skip
        agencies = sorted(found, key=lambda a: (a["capacity"] != "open", a["name"]))
    label = viewer.label
    suggested = {
        NEED_TO_CATEGORY.get(d) for d, level in latest.items() if level in ("high", "urgent")
    }
    _ = viewer.gettext
    return {
        "case": case,
        "person": person,
        "category": category,
        "agencies": agencies,
        "person_options": [
            (
                p["id"],
                _(
                    "%(code)s (%(role)s, born %(year)s)",
                    code=p["code"],
                    role=label("household_role", p["household_role"]),
                    year=p["birth_year"],
                ),
            )
            for p in case["persons"]
        ],
        "category_options": [
            (
                c,
                _("%(service)s (suggested)", service=label("service_category", c))
                if c in suggested
                else label("service_category", c),
            )
            for c in LABELS["service_category"]
        ],
        "agency_options": [(a["id"], _agency_option(viewer, a)) for a in agencies],
        "language_options": list(LANGUAGE_NAMES.items()),
        "closed_agencies": [a["id"] for a in agencies if a["capacity"] == CLOSED],
        "needs": latest,
    }


def _agency_option(viewer: Viewer, agency: dict[str, Any]) -> Markup:
    """Its name (data, not words to translate: marked so for the language checks), its
    capacity, and what step 1 may filter on: the languages spoken and accredited staff."""
    label, _ = viewer.label, viewer.gettext
    option = Markup('<span translate="no">{}</span>: {}').format(
        agency["name"], label("capacity", agency["capacity"])
    )
    spoken = [Markup('<span lang="{}">{}</span>').format(code, LANGUAGE_NAMES[code])
              for code in agency["languages"] if code in LANGUAGE_NAMES]  # fmt: skip
    staff = [_("%(staff)s: %(count)d", staff=label("accreditation", a["code"]), count=a["count"])
             for a in agency["accreditations"]]  # fmt: skip
    if spoken:
        option += Markup('<br><span class="hint">{}</span>').format(
            escape(_("Staff speak: %(languages)s")) % {"languages": Markup(", ").join(spoken)}
        )
    if staff:
        option += Markup('<br><span class="hint">{}</span>').format(", ".join(staff))
    return option


@router.get("/cases/{case_id}/refer", include_in_schema=False)
async def refer_form(
    viewer: SignedIn,
    case_id: str,
    person: str = "",
    category: str = "",
    language: str = "",
    accreditation: str = "",
) -> Response:
    state = FormState(values={"person": person, "category": category, "language": language,
                              "accreditation": accreditation, "priority": "routine"})  # fmt: skip
    context = await _refer_context(viewer, case_id, state)
    return viewer.render("referrals/new.html", form=state, **context)


@router.post("/cases/{case_id}/refer", include_in_schema=False)
async def create_referral(viewer: SignedIn, form: SignedInForm, case_id: str) -> Response:
    _ = viewer.gettext
    state = FormState.of(form)
    context = await _refer_context(viewer, case_id, state)
    if context["person"] is None:
        state.errors["person"] = _("Choose the person to refer")
    if context["category"] is None:
        state.errors["category"] = _("Choose the service")
    agency = state.require("agency", _("Choose the agency"))
    not_taking = _("This agency is not taking referrals now: choose another one")
    if agency in context["closed_agencies"]:
        state.errors["agency"] = not_taking
    reason = state.text("reason")
    if len(reason) < 3:
        state.errors["reason"] = _("Say in a few words why the person needs this service")
    body = {
        "case_id": case_id,
        "person_id": context["person"]["id"] if context["person"] else None,
        "agency_id": agency,
        "service_category": context["category"],
        "reason": reason,
        "priority": state.text("priority") or "routine",
        "disclose": [c for c in state.many("disclose") if c in LABELS["data_category"]],
        "send": False,
    }
    fields = {"agency_id": "agency", "reason": "reason", "priority": "priority",
              "disclose": "disclose", "service_category": "category",
              "person_id": "person"}  # fmt: skip
    if done := await viewer.submit(
        state,
        lambda: viewer.apis().referrals.create(body),
        lambda created: f"/referrals/{created['id']}",
        fields,
    ):
        return done
    if state.refusal and state.refusal.status == 422 and await _closed(viewer, agency):
        # The agency closed its capacity meanwhile.
        state.errors["agency"] = not_taking
    return viewer.render("referrals/new.html", form=state, status_code=422, **context)


async def _closed(viewer: Viewer, agency_id: str) -> bool:
    """Whether the agency's capacity is closed now (the API's 422 says so only in English)."""
    try:
        return (await viewer.apis().referrals.agency(agency_id))["capacity"] == CLOSED
    except ApiRefusal:
        return False


@router.get("/referrals/{referral_id}", include_in_schema=False)
async def referral_page(viewer: SignedIn, referral_id: str) -> Response:
    if partner.is_partner(viewer):  # a referral email's link opens the agency's page
        return await partner.referral_page(viewer, referral_id)
    referral = await viewer.apis().referrals.referral(referral_id)
    return viewer.render("referrals/one.html", referral=referral, form=FormState())


@router.post("/referrals/{referral_id}/{action}", include_in_schema=False)
async def act(viewer: SignedIn, form: SignedInForm, referral_id: str, action: str) -> Response:
    """Send or cancel (the coordinator's actions); the agency's are in its own console part."""
    _ = viewer.gettext
    apis = viewer.apis()
    state = FormState.of(form)
    if action not in ("send", "cancel"):
        raise ApiRefusal(404)
    body: dict[str, Any] = {}
    if action == "cancel":
        reason = state.choice("reason", "reason_code", _("Choose why the referral is cancelled"))
        body = {"reason": reason}
    if done := await viewer.submit(
        state,
        lambda: apis.referrals.act(referral_id, action, body),
        f"/referrals/{referral_id}?done={action}",
        {"reason": "reason"},
        raising=PAGE_REFUSALS,
    ):
        return done
    referral = await apis.referrals.referral(referral_id)
    return viewer.render(
        "referrals/one.html", referral=referral, form=state, status_code=state.status_code
    )


@router.get("/referrals", include_in_schema=False)
async def referral_list(viewer: SignedIn, show: str = "open", page: int = 1) -> Response:
    show = show if show in FILTERS else "open"
    paging = Paging.at(page)
    listing = await viewer.apis().referrals.referrals(
        **FILTERS[show], limit=paging.size, offset=paging.offset
    )
    return viewer.render("referrals/list.html", referrals=listing["items"], show=show,
                         filters=list(FILTERS), total=listing["total"], paging=paging)  # fmt: skip
