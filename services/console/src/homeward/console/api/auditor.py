"""The auditor's workspace: the audit trails of the four services (intake, referrals,
documents, notifications) as one list, newest first, and one CSV. Audit entries hold who,
when, what kind of act, codes and purposes: never case content, so there is none to leave
out here.

API calls: each service's `/v1/audit` (4, at once), or each one's `/v1/audit.csv` (4).
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime, time, timedelta
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from homeward.console.clients import ApiRefusal, Apis
from homeward.console.forms import FormState
from homeward.console.web import SignedIn, Viewer

router = APIRouter(prefix="/audit")
AUDITOR = "auditor"
SERVICES = ("intake", "referrals", "documents", "notifications")
TEXT_FILTERS = ("actor", "agency_id", "case_code", "purpose")
PAGE = 200  # per service: the most one call gives


def is_auditor(viewer: Viewer) -> bool:
    return AUDITOR in viewer.user.get("roles", [])


def _filters(viewer: Viewer, state: FormState) -> dict[str, Any]:
    """The query's filters as the APIs take them; dates are whole days in the console's zone."""
    _ = viewer.gettext
    zone = viewer.console.formats.zone
    found: dict[str, Any] = {name: state.text(name) or None for name in TEXT_FILTERS}
    if found["case_code"]:
        found["case_code"] = found["case_code"].upper()
    for name, shift in (("since", 0), ("until", 1)):
        if any(state.text(f"{name}-{part}") for part in ("day", "month", "year")):
            day = state.day(name, missing="", invalid=_("Enter a real date"))
            if day is not None:
                moment = datetime.combine(day + timedelta(days=shift), time(), tzinfo=zone)
                found[name] = moment.isoformat()
    return found


def _apis(apis: Apis) -> list[tuple[str, Any]]:
    return [(name, getattr(apis, name)) for name in SERVICES]


@router.get("", include_in_schema=False)
async def trail(viewer: SignedIn) -> Response:
    state = FormState(values=dict(viewer.request.query_params))
    filters = _filters(viewer, state)
    entries: list[dict[str, Any]] = []
    apis = _apis(viewer.apis())
    if not state.errors:
        try:
            pages = await asyncio.gather(*(api.audit(**filters, limit=PAGE) for _, api in apis))
        except ApiRefusal as refusal:
            if refusal.status in (401, 403, 404):
                raise
            state.refused(refusal, viewer.gettext)
            pages = []
        for (service, _), page in zip(apis, pages, strict=False):
            entries.extend({**entry, "service": service} for entry in page["items"])
    entries.sort(key=lambda e: e["at"], reverse=True)
    query = viewer.request.url.query
    return viewer.render(
        "auditor/trail.html",
        entries=entries,
        form=state,
        csv_link="/audit.csv" + (f"?{query}" if query else ""),
        status_code=422 if state.failed else 200,
    )


@router.get(".csv", include_in_schema=False)
async def export(viewer: SignedIn) -> Response:
    """One CSV of the four services' exports, merged by time, with a column naming each."""
    state = FormState(values=dict(viewer.request.query_params))
    filters = _filters(viewer, state)
    if state.errors:
        raise ApiRefusal(422)
    apis = _apis(viewer.apis())
    texts = await asyncio.gather(*(api.audit_csv(**filters) for _, api in apis))
    header: list[str] = []
    rows: list[list[str]] = []
    for (service, _), text in zip(apis, texts, strict=True):
        reader = csv.reader(io.StringIO(text))
        header = next(reader, header)
        rows.extend([service, *row] for row in reader)
    at = header.index("at") + 1 if "at" in header else 1
    rows.sort(key=lambda row: row[at], reverse=True)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["service", *header])
    writer.writerows(rows)
    headers = {"Content-Disposition": 'attachment; filename="homeward-audit.csv"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
