"""The part-2 pages without a browser (the APIs faked as in test_app): each role's home, a
partner refused an identity, the merged audit CSV, the indicators chart's "<5" cells."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager

from homeward.common.db import Database, utcnow
from homeward.console.api import auditor
from homeward.console.api.charts import bar_chart
from homeward.console.app import create_app
from homeward.console.settings import ConsoleSettings
from homeward.console.web import COOKIE
from tests.console.test_app import PERSON_ID, TOKEN, FakeApis

REFERRAL_ID = "8c3d2e5a-0000-4000-8000-000000000004"
REFERRAL = {
    "id": REFERRAL_ID, "case_id": "c", "case_code": "HW-7KQ3-M9", "person_id": PERSON_ID,
    "person_code": "P-4TXR-8N", "municipality": "riverton", "agency_id": "riverton-police",
    "agency_type": "police", "service_category": "family-support", "priority": "routine",
    "reason": "Support for the family", "disclose": [], "state": "accepted", "blocked_on": [],
    "missing_consent": [], "missing_documents": [], "consent_override_basis": None,
    "send_requested": False, "warnings": [], "outcome": None,
    "allowed_actions": ["start", "hold", "fail", "cancel"], "created_at": "2025-03-01T10:00:00Z",
    "sent_at": "2025-03-01T10:00:00Z", "accepted_at": "2025-03-02T10:00:00Z",
    "started_at": None, "ended_at": None, "due_at": "2025-05-31T10:00:00Z", "history": [],
    "shared_categories": ["family"],
    "case_summary": {"case_code": "HW-7KQ3-M9", "person_code": "P-4TXR-8N",
                     "service_category": "family-support", "categories": ["family"],
                     "family": {"household_role": "mother"}},
}  # fmt: skip


@pytest.fixture
def apis() -> FakeApis:
    return FakeApis()


@pytest_asyncio.fixture
async def signed_in(tmp_path: Path, apis: FakeApis) -> AsyncIterator[Any]:
    """`await signed_in(role)`: a client signed in with that role (and its session)."""
    settings = ConsoleSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/console.db")
    app = create_app(settings, database=Database(settings.database_url),
                     http=httpx.AsyncClient(transport=httpx.MockTransport(apis)))  # fmt: skip
    clients: list[httpx.AsyncClient] = []
    async with LifespanManager(app):

        async def sign_in(role: str) -> tuple[httpx.AsyncClient, Any]:
            store = app.state.console.store
            cookie, session = await store.create()
            user = {"username": f"{role}.riverton", "locale": None, "municipality": "riverton",
                    "roles": [role], "agency_type": None}  # fmt: skip
            session.secrets = {"access_token": TOKEN, "refresh_token": "r", "user": user}
            session.access_expires_at = utcnow() + timedelta(minutes=5)
            await store.save(session)
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                       base_url=settings.public_base_url,
                                       cookies={COOKIE: cookie})  # fmt: skip
            clients.append(client)
            return client, session

        yield sign_in
        for client in clients:
            await client.aclose()


EMPTY_INBOX = {"items": [], "unread": 0, "next_offset": None}


@pytest.mark.parametrize(
    ("role", "heading", "calls"),
    [
        ("partner", "Incoming referrals", ["/v1/referrals"]),
        ("documents-officer", "Documentation tasks",
         ["/v1/tasks", "/v1/records", "/v1/notifications/unread-count"]),
        ("supervisor", "What needs you today",
         ["/v1/transfers", "/v1/closure-requests", "/v1/referrals", "/v1/referrals",
          "/v1/notifications/unread-count"]),
        ("auditor", "Audit trail", ["/v1/audit"] * 4),
    ],
)  # fmt: skip
async def test_each_role_lands_on_its_own_day(
    signed_in: Any, apis: FakeApis, role: str, heading: str, calls: list[str]
) -> None:
    for path, body in (
        ("/v1/referrals", {"items": [], "total": 0, "next_offset": None}),
        ("/v1/tasks", {"items": [], "total": 0, "next_offset": None}),
        ("/v1/records", {"items": [], "total": 0, "next_offset": None}),
        ("/v1/notifications", EMPTY_INBOX),
        ("/v1/notifications/unread-count", {"unread": 0}),
        ("/v1/transfers", []),
        ("/v1/closure-requests", []),
        ("/v1/audit", {"items": [], "next_before_id": None}),
    ):
        apis.on("GET", path, body=body)
    client, _ = await signed_in(role)
    page = await client.get("/")
    assert page.status_code == 200, page.text
    assert f'<h1 class="heading-l">{heading}</h1>' in page.text
    assert sorted(r.url.path for r in apis.seen) == sorted(calls)


async def test_a_partner_refused_an_identity_is_told_why_with_the_purpose_kept(
    signed_in: Any, apis: FakeApis
) -> None:
    apis.on("GET", f"/v1/referrals/{REFERRAL_ID}", body=REFERRAL)
    # No consent to identity for this agency: intake answers 404, as to anyone else.
    client, session = await signed_in("partner")
    form = {"csrf_token": session.csrf_token, "purpose": "safeguarding"}
    page = await client.post(f"/incoming/{REFERRAL_ID}/identity", data=form)
    assert page.status_code == 422
    assert "You may not see this person&#39;s identity" in page.text
    assert 'value="safeguarding" checked' in page.text
    asked = apis.seen[-1]
    assert asked.url.path == f"/v1/agency/persons/{PERSON_ID}/identity"
    assert asked.url.params["purpose"] == "safeguarding"
    # A page of the referral shows the consented category only.
    page = await client.get(f"/referrals/{REFERRAL_ID}")  # the email's link
    assert "Role in the household" in page.text and "Mother" in page.text
    assert 'action="/incoming/' + REFERRAL_ID + '/act/start"' in page.text


AUDIT_HEADER = (
    "id,at,actor,agency_id,municipality,action,case_code,subject_code,fields,purpose,request_id"
)
AUDIT_ROWS = {  # each service's port (the settings' defaults) -> its one entry
    8401: "1,2025-03-02T10:00:00Z,a,riverton-primary-school,riverton,identity.read,"
    "HW-7KQ3-M9,P-4TXR-8N,full_name,referral,r1",
    8402: "7,2025-03-03T10:00:00Z,b,,riverton,referral.read,HW-7KQ3-M9,,,,r2",
    8403: "3,2025-03-01T10:00:00Z,c,,riverton,record.read,HW-7KQ3-M9,,,,r3",
    8404: "5,2025-03-02T12:00:00Z,d,riverton-primary-school,riverton,email.opted_in,,,"
    "address;locale,,r4",
}  # fmt: skip
# A row of the trail's table: when, then the service and the action (codes, untranslated).
TRAIL_ROW = re.compile(
    r'<tr><td>.*?</td><td translate="no">(\w+)</td><td translate="no">([\w.]+)</td>'
)


def _audit_entry(port: int) -> dict[str, Any]:
    """The service's one entry as its `/v1/audit` lists it (its CSV row, typed)."""
    [row] = csv.DictReader(io.StringIO(f"{AUDIT_HEADER}\r\n{AUDIT_ROWS[port]}\r\n"))
    entry: dict[str, Any] = {name: value or None for name, value in row.items()}
    return {**entry, "id": int(row["id"]), "fields": [f for f in row["fields"].split(";") if f]}


async def test_the_trail_merges_the_four_services_by_time(signed_in: Any, apis: FakeApis) -> None:
    def trail(request: httpx.Request) -> httpx.Response:
        assert request.url.params["agency_id"] == "riverton-primary-school"
        page = {"items": [_audit_entry(request.url.port)], "next_before_id": None}
        return httpx.Response(200, json=page)

    apis.routes[("GET", "/v1/audit")] = trail
    client, _ = await signed_in("auditor")
    page = await client.get("/audit?agency_id=riverton-primary-school")
    assert page.status_code == 200, page.text
    assert sorted(r.url.port for r in apis.seen) == [8401, 8402, 8403, 8404]
    assert TRAIL_ROW.findall(page.text) == [
        ("referrals", "referral.read"), ("notifications", "email.opted_in"),
        ("intake", "identity.read"), ("documents", "record.read"),
    ]  # fmt: skip
    assert "address, locale" in page.text  # the fields named, no value


def _at(day: int) -> dict[str, Any]:
    return {"at": f"2025-03-{day:02d}T10:00:00Z"}


# intake has more than a page; referrals' older entry and notifications' one come after
# intake's oldest shown, so they wait for the next page.
TRAIL_PAGES = {
    8401: {"items": [{"id": 12, **_at(5)}, {"id": 11, **_at(4)}], "next_before_id": 11},
    8402: {"items": [{"id": 7, **_at(6)}, {"id": 6, **_at(1)}], "next_before_id": None},
    8403: {"items": [], "next_before_id": None},
    8404: {"items": [{"id": 3, **_at(3)}], "next_before_id": None},
}
FULL_ENTRY = {"actor": "a", "agency_id": None, "action": "x.read", "case_code": None,
              "subject_code": None, "fields": [], "purpose": None}  # fmt: skip


def test_one_page_of_the_merged_trail_leaves_no_gap() -> None:
    pages = dict(zip(auditor.SERVICES, TRAIL_PAGES.values(), strict=True))
    entries, cursors = auditor.merge(pages)
    assert [(e["service"], e["id"]) for e in entries] == [
        ("referrals", 7), ("intake", 12), ("intake", 11)
    ]  # fmt: skip
    assert cursors == {"intake": 11, "referrals": 7, "documents": auditor.EXHAUSTED,
                       "notifications": 4}  # fmt: skip


async def test_the_trail_pages_on_where_each_service_left_off(
    signed_in: Any, apis: FakeApis
) -> None:
    def trail(request: httpx.Request) -> httpx.Response:
        page = TRAIL_PAGES[request.url.port]
        if "before_id" in request.url.params:  # the next page: what is left, then no more
            before = int(request.url.params["before_id"])
            page = {"items": [e for e in page["items"] if e["id"] < before] or
                    ([{"id": 10, **_at(2)}] if request.url.port == 8401 else []),
                    "next_before_id": None}  # fmt: skip
        items = [{**FULL_ENTRY, **e} for e in page["items"]]
        return httpx.Response(200, json={**page, "items": items})

    apis.routes[("GET", "/v1/audit")] = trail
    client, _ = await signed_in("auditor")
    first = await client.get("/audit?case_code=hw-7kq3-m9")
    assert first.status_code == 200, first.text
    older = re.search(r'<a href="(/audit\?[^"]+)" rel="next">Older entries</a>', first.text)
    assert older, first.text
    link = older.group(1).replace("&amp;", "&")
    assert "case_code=hw-7kq3-m9" in link and "before-documents=0" in link
    apis.seen.clear()
    second = await client.get(link)
    assert second.status_code == 200, second.text
    asked = {r.url.port: r.url.params.get("before_id") for r in apis.seen}
    assert asked == {8401: "11", 8402: "7", 8404: "4"}  # documents is not asked again
    assert len(TRAIL_ROW.findall(second.text)) == 3  # intake 10, referrals 6, notifications 3
    assert "Older entries" not in second.text


async def test_the_audit_export_merges_the_services_by_time(signed_in: Any, apis: FakeApis) -> None:
    def export(request: httpx.Request) -> httpx.Response:
        assert request.url.params["agency_id"] == "riverton-primary-school"
        # The first day at midnight in the console's time zone, the zone given.
        assert request.url.params["since"].startswith("2025-03-01T00:00:00+")
        return httpx.Response(200, text=f"{AUDIT_HEADER}\r\n{AUDIT_ROWS[request.url.port]}\r\n")

    apis.routes[("GET", "/v1/audit.csv")] = export
    client, _ = await signed_in("auditor")
    query = "agency_id=riverton-primary-school&since-day=1&since-month=3&since-year=2025"
    answer = await client.get(f"/audit.csv?{query}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["service", *AUDIT_HEADER.split(",")]
    assert [(r[0], r[1]) for r in rows[1:]] == [
        ("referrals", "7"), ("notifications", "5"), ("intake", "1"), ("documents", "3")
    ]  # fmt: skip
    assert rows[2][6] == "email.opted_in"


def test_the_chart_draws_small_counts_as_such_and_escapes_labels() -> None:
    chart = str(bar_chart([("Health care: <Sent>", 10), ("School", "<5")], title="T"))
    assert chart.startswith("<svg") and 'role="img"' in chart
    assert "&lt;Sent&gt;" in chart and "<Sent>" not in chart
    assert 'width="300"' in chart  # the largest count fills the bar
    assert 'fill="url(#small)"' in chart and ">&lt;5</text>" in chart


async def test_a_partner_must_give_a_reason_to_reject_and_hears_what_the_referral_may_become(
    signed_in: Any, apis: FakeApis
) -> None:
    requested = {**REFERRAL, "state": "requested",
                 "allowed_actions": ["accept", "reject", "cancel"]}  # fmt: skip
    apis.on("GET", f"/v1/referrals/{REFERRAL_ID}", body=requested)
    client, session = await signed_in("partner")
    page = await client.post(f"/incoming/{REFERRAL_ID}/act/reject",
                             data={"csrf_token": session.csrf_token})  # fmt: skip
    assert page.status_code == 422
    assert '<a href="#reject-reason">Choose a reason</a>' in page.text
    assert not [r for r in apis.seen if r.method == "POST"]  # nothing was sent
    # Changed in the meantime: the API's 409 names the states it may move to.
    apis.on("POST", f"/v1/referrals/{REFERRAL_ID}/reject", status=409,
            body={"status": 409, "allowed_next_states": ["in-progress", "on-hold"]})  # fmt: skip
    form = {"csrf_token": session.csrf_token, "reject-reason": "no-capacity"}
    page = await client.post(f"/incoming/{REFERRAL_ID}/act/reject", data=form)
    assert page.status_code == 409
    assert "From here the referral can only become:" in page.text
    assert '<option value="no-capacity" selected>' in page.text


async def test_the_supervisor_sees_the_referrals_escalated_to_supervisors(
    signed_in: Any, apis: FakeApis
) -> None:
    """From the referrals API's `escalated=supervisor` list, not from notifications (which
    leave the page once read)."""
    late = {**REFERRAL, "state": "requested", "escalation_level": "supervisor"}
    apis.on("GET", "/v1/referrals", body={"items": [late], "total": 1, "next_offset": None})
    apis.on("GET", "/v1/notifications/unread-count", body={"unread": 0})
    for path in ("/v1/transfers", "/v1/closure-requests"):
        apis.on("GET", path, body=[])
    client, _ = await signed_in("supervisor")
    page = await client.get("/")
    assert page.status_code == 200, page.text
    assert f'href="/referrals/{REFERRAL_ID}"' in page.text and "Due 31.05.2025" in page.text
    asked = [r.url.params for r in apis.seen if r.url.path == "/v1/referrals"]
    assert {p.get("escalated") for p in asked} == {"supervisor", None}
    assert {p.get("blocked") for p in asked} == {"true", None}


async def test_a_partner_finds_its_open_referrals_by_a_code_typed_any_way(
    signed_in: Any, apis: FakeApis
) -> None:
    apis.on("GET", "/v1/referrals", body={"items": [REFERRAL], "total": 130, "next_offset": 100})
    client, _ = await signed_in("partner")
    page = await client.get("/incoming", params={"code": " hw7kq3m9 "})
    assert page.status_code == 200, page.text
    [asked] = [r.url.params for r in apis.seen if r.url.path == "/v1/referrals"]
    assert asked["code"] == "hw7kq3m9"
    assert asked.get_list("state") == ["accepted", "in-progress", "on-hold", "requested"]
    assert 'value="hw7kq3m9"' in page.text and "130 open referrals" in page.text
    assert "The newest 1 are shown here" in page.text
