"""Registering a returning family: the case, its persons, who is whose guardian, and each
person's identity (sealed by intake; never shown back). One plain form: rows left empty are
ignored, and "more rows" is a link, so it works without JavaScript."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from homeward.console.forms import FormState
from homeward.console.web import SignedIn, SignedInForm, Viewer

router = APIRouter()
MAX_ROWS = 12


def _rows(count: int) -> list[int]:
    return list(range(1, max(2, min(count, MAX_ROWS)) + 1))


def _render(viewer: Viewer, state: FormState, rows: int, status_code: int = 200) -> Response:
    _ = viewer.gettext

    def guardian_options(all_rows: list[int], row: int) -> list[tuple[str, str]]:
        return [
            (str(other), _("Person %(number)d", number=other)) for other in all_rows if other != row
        ]

    return viewer.render("flows/register.html", form=state, rows=_rows(rows),
                         more=min(rows + 2, MAX_ROWS), guardian_options=guardian_options,
                         status_code=status_code)  # fmt: skip


@router.get("/cases/new", include_in_schema=False)
async def register_form(viewer: SignedIn, rows: int = 4) -> Response:
    today = date.today()
    state = FormState(values={"arrival-day": str(today.day), "arrival-month": str(today.month),
                              "arrival-year": str(today.year)})  # fmt: skip
    return _render(viewer, state, rows)


@router.post("/cases/new", include_in_schema=False)
async def register_case(viewer: SignedIn, form: SignedInForm) -> Response:
    _ = viewer.gettext
    state = FormState.of(form)
    rows = _rows(int(state.text("rows") or 4) if state.text("rows").isdigit() else 4)
    operation = state.require("return_operation", _("Enter the return operation or cohort"))
    arrival = state.day("arrival", missing=_("Enter the date of arrival"),
                        invalid=_("The date of arrival must be a real date"))  # fmt: skip
    placement = state.choice("placement", "placement", _("Choose where the family lives now"))
    persons = [p for row in rows if (p := _person(state, row, _)) is not None]
    if not persons and not state.errors:
        state.errors["role-1"] = _("Enter at least one person")
    body = {"return_operation": operation, "placement": placement, "persons": persons,
            "arrival_date": arrival.isoformat() if arrival else None}  # fmt: skip
    fields = {"return_operation": "return_operation", "arrival_date": "arrival",
              "placement": "placement", "persons": "role-1"}  # fmt: skip
    if done := await viewer.submit(
        state,
        lambda: viewer.apis().intake.register_case(body),
        lambda created: f"/cases/{created['id']}?done=registered",
        fields,
    ):
        return done
    return _render(viewer, state, len(rows), status_code=422)


def _person(state: FormState, row: int, _: Any) -> dict[str, Any] | None:
    """One row as intake's NewPerson, or None when the row was left empty."""
    role, year = state.text(f"role-{row}"), state.text(f"born-{row}")
    name = state.text(f"name-{row}")
    if not (role or year or name):
        return None
    state.choice(f"role-{row}", "household_role", _("Choose the person's role in the household"))
    if not (year.isdigit() and 1900 <= int(year) <= date.today().year):
        state.errors[f"born-{row}"] = _("Enter the year of birth as four digits, like 2016")
    person: dict[str, Any] = {"ref": f"row-{row}", "household_role": role,
                              "birth_year": int(year) if year.isdigit() else None,
                              "sex": state.text(f"sex-{row}") or "unknown"}  # fmt: skip
    guardian = state.text(f"guardian-{row}")
    if guardian.isdigit() and int(guardian) != row:
        person["guardian_ref"] = f"row-{guardian}"
    if name:
        identity = {"full_name": name}
        if national_id := state.text(f"national_id-{row}"):
            identity["national_id"] = national_id
        person["identity"] = identity
    return person
