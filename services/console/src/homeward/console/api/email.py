"""Email opt-in for the signed-in user: their own address, to get their notifications by
email too (what an email says: a case code, a service, a deadline and a link, never a name),
in the language of the page they opted in from.

API calls: the opt-in (1); a change (1, then the page again: 1).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from homeward.console.forms import FormState
from homeward.console.web import SignedIn, SignedInForm, Viewer

router = APIRouter(prefix="/email")


async def _page(viewer: Viewer, form: FormState, status_code: int = 200) -> Response:
    opt_in = await viewer.apis().notifications.email_opt_in()
    if opt_in and not form.values:
        form.values["address"] = opt_in["address"]
    return viewer.render("email.html", opt_in=opt_in, form=form, status_code=status_code)


@router.get("", include_in_schema=False)
async def email(viewer: SignedIn) -> Response:
    return await _page(viewer, FormState())


@router.post("", include_in_schema=False)
async def opt_in(viewer: SignedIn, form: SignedInForm) -> Response:
    _ = viewer.gettext
    state = FormState.of(form)
    address = state.text("address")
    if "@" not in address:
        state.errors["address"] = _("Enter an email address, like name@example.org")
    if done := await viewer.submit(
        state,
        lambda: viewer.apis().notifications.opt_in_email(address, locale=viewer.locale),
        "/email?done=on",
        {"address": "address"},
        raising=(401, 403),
    ):
        return done
    return await _page(viewer, state, 422)


@router.post("/stop", include_in_schema=False)
async def opt_out(viewer: SignedIn, form: SignedInForm) -> Response:
    await viewer.apis().notifications.opt_out_email()
    return RedirectResponse("/email?done=off", status_code=303)
