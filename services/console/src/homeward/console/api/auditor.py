"""The auditor's workspace: the audit trails of the four services (intake, referrals,
documents, notifications) as one list, newest first, and one CSV. Audit entries hold who,
when, what kind of act, codes and purposes: never case content, so there is none to leave
out here.

API calls: each service's `/v1/audit` (4, at once; on later pages those with entries left),
or each one's `/v1/audit.csv` (4).
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

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
EXHAUSTED = 0  # a service's cursor once all its matching entries were shown


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


def _cursor(viewer: Viewer, service: str) -> int | None:
    """Where this page of a service's trail starts (`before-<service>`); None: the newest."""
    raw = viewer.request.query_params.get(f"before-{service}", "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def merge(pages: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The services' pages as one list, newest first, with no gap: a service with more
    entries than its page cuts the list at its oldest entry shown, and the others' older
    entries wait for the next page. Returns the entries and each service's `before_id` for
    the next page (`EXHAUSTED`: nothing left to show)."""
    cut = max((datetime.fromisoformat(page["items"][-1]["at"]) for page in pages.values()
               if page["next_before_id"] is not None and page["items"]), default=None)  # fmt: skip
    entries: list[dict[str, Any]] = []
    cursors: dict[str, int] = {}
    for service, page in pages.items():
        items = page["items"]
        shown = [e for e in items if cut is None or datetime.fromisoformat(e["at"]) >= cut]
        entries.extend({**entry, "service": service} for entry in shown)
        if len(shown) < len(items):  # the rest of this page comes next, from its first unshown
            cursors[service] = shown[-1]["id"] if shown else items[0]["id"] + 1
        else:
            cursors[service] = page["next_before_id"] or EXHAUSTED
    entries.sort(key=lambda e: datetime.fromisoformat(e["at"]), reverse=True)
    return entries, cursors


@router.get("", include_in_schema=False)
async def trail(viewer: SignedIn) -> Response:
    state = FormState(values=dict(viewer.request.query_params))
    filters = _filters(viewer, state)
    entries: list[dict[str, Any]] = []
    older = None
    asked = [(name, api, _cursor(viewer, name)) for name, api in _apis(viewer.apis())]
    asked = [(name, api, before) for name, api, before in asked if before != EXHAUSTED]
    if not state.errors:
        try:
            found = await asyncio.gather(
                *(api.audit(**filters, before_id=before, limit=PAGE) for _, api, before in asked)
            )
        except ApiRefusal as refusal:
            if refusal.status in (401, 403, 404):
                raise
            state.refused(refusal, viewer.gettext)
            found = []
        pages = {name: page for (name, _, _), page in zip(asked, found, strict=False)}
        entries, cursors = merge(pages)
        if any(cursor != EXHAUSTED for cursor in cursors.values()):
            older = _older_link(viewer, cursors)
    query = viewer.request.url.query
    return viewer.render(
        "auditor/trail.html",
        entries=entries,
        form=state,
        older=older,
        csv_link="/audit.csv" + (f"?{query}" if query else ""),
        status_code=422 if state.failed else 200,
    )


def _older_link(viewer: Viewer, cursors: dict[str, int]) -> str:
    """This page's filters, and where each service's trail goes on (exhausted ones too, so
    that they are not asked again from their newest)."""
    params = [(k, v) for k, v in viewer.request.query_params.multi_items()
              if not k.startswith("before-")]  # fmt: skip
    params += [(f"before-{name}", str(cursor)) for name, cursor in cursors.items()]
    for name in SERVICES:
        if name not in cursors:  # not asked: exhausted on an earlier page
            params.append((f"before-{name}", str(EXHAUSTED)))
    return "/audit?" + urlencode(params)


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
