"""My agency: what a partner agency's own staff keep in the directory (capacity, services,
municipalities served, languages spoken, how many staff hold which accreditation; never who).

API calls: the agency (1); a change (1, then the page again on a refusal: 1).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from homeward.console.clients import ApiRefusal
from homeward.console.forms import FormState
from homeward.console.i18n import LOCALES
from homeward.console.vocabulary import LABELS
from homeward.console.web import PAGE_REFUSALS, SignedIn, SignedInForm, Viewer

router = APIRouter(prefix="/my-agency")


def _agency_id(viewer: Viewer) -> str:
    agency_id = viewer.user.get("agency_id")
    if not agency_id:
        raise ApiRefusal(404)
    return agency_id


def _values(agency: dict[str, Any]) -> dict[str, str | list[str]]:
    counts = {a["code"]: str(a["count"]) for a in agency["accreditations"]}
    return {
        "capacity": agency["capacity"],
        "service_categories": agency["service_categories"],
        "municipalities": ", ".join(agency["municipalities"]),
        "languages": agency["languages"],
        **{f"staff-{code}": counts.get(code, "") for code in LABELS["accreditation"]},
    }


async def _page(viewer: Viewer, form: FormState | None, status_code: int = 200) -> Response:
    agency = await viewer.apis().referrals.agency(_agency_id(viewer))
    form = form or FormState(values=_values(agency))
    return viewer.render("partner/agency.html", agency=agency, form=form, languages_spoken=LOCALES,
                         status_code=status_code)  # fmt: skip


@router.get("", include_in_schema=False)
async def my_agency(viewer: SignedIn) -> Response:
    return await _page(viewer, None)


@router.post("", include_in_schema=False)
async def update(viewer: SignedIn, form: SignedInForm) -> Response:
    _ = viewer.gettext
    state = FormState.of(form)
    accreditations = []
    for code in LABELS["accreditation"]:
        count = state.text(f"staff-{code}")
        if not count or count == "0":
            continue
        if not count.isdigit():
            state.errors[f"staff-{code}"] = _("Enter a whole number")
        else:
            accreditations.append({"code": code, "count": int(count)})
    body = {
        "capacity": state.text("capacity"),
        "service_categories": state.many("service_categories"),
        "municipalities": [m.strip() for m in state.text("municipalities").split(",") if m.strip()],
        "languages": state.many("languages"),
        "accreditations": accreditations,
    }
    fields = {name: name for name in ("capacity", "service_categories", "municipalities",
                                      "languages")}  # fmt: skip
    fields["accreditations"] = "form"
    if done := await viewer.submit(
        state,
        lambda: viewer.apis().referrals.update_profile(_agency_id(viewer), body),
        "/my-agency?done=1",
        fields,
        raising=PAGE_REFUSALS,
    ):
        return done
    return await _page(viewer, state, 422)
