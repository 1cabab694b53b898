"""The console without a browser: the app over an ASGI transport, the four APIs faked by an
httpx MockTransport. CSRF, refusals turned into pages, sessions sealed at rest."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from homeward.common.db import Database, utcnow
from homeward.console.app import PAGES, create_app
from homeward.console.settings import ConsoleSettings
from homeward.console.web import COOKIE, safe_next

CASE_ID = "9c4d8d5e-1a57-4d53-8f0a-3b3b7b1c2d10"
PERSON_ID = "5b0f6c9e-3f7c-4c55-9a51-0c4d1f0c2a11"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl"
CASE = {
    "id": CASE_ID, "code": "HW-7KQ3-M9", "municipality": "riverton", "return_operation": "x",
    "arrival_date": "2025-03-01", "placement": "rehabilitation-centre", "status": "open",
    "coordinator": "coordinator.riverton", "person_count": 1,
    "registered_at": "2025-03-01T10:00:00Z", "closed_at": None, "close_reason": None,
    "identities_erased": False,
    "persons": [{"id": PERSON_ID, "code": "P-4TXR-8N", "household_role": "child",
                 "birth_year": 2016, "sex": "female", "age_group": "child",
                 "guardian_id": None, "has_identity": True}],
}  # fmt: skip
Route = Callable[[httpx.Request], httpx.Response]


class FakeApis:
    """Answers by (method, path); anything else is a 404 problem, as the APIs answer."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self.seen: list[httpx.Request] = []

    def on(self, method: str, path: str, status: int = 200, body: Any = None) -> None:
        self.routes[(method, path)] = lambda _: httpx.Response(status, json=body)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        route = self.routes.get((request.method, request.url.path))
        return route(request) if route else httpx.Response(404, json={"status": 404})


@pytest.fixture
def apis() -> FakeApis:
    fake = FakeApis()
    fake.on("GET", f"/v1/cases/{CASE_ID}", body=CASE)
    return fake


@pytest_asyncio.fixture
async def console(
    database_url: str, apis: FakeApis
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """On SQLite and on PostgreSQL, as every service's database."""
    settings = ConsoleSettings(database_url=database_url)
    database = Database(settings.database_url)
    app = create_app(settings, database=database,
                     http=httpx.AsyncClient(transport=httpx.MockTransport(apis)))  # fmt: skip
    async with LifespanManager(app):
        store = app.state.console.store
        cookie, session = await store.create()
        user = {"username": "coordinator.riverton", "locale": None,
                "municipality": "riverton", "roles": ["coordinator"]}  # fmt: skip
        session.secrets = {"access_token": TOKEN, "refresh_token": "r", "id_token": None,
                           "user": user}  # fmt: skip
        session.access_expires_at = utcnow() + timedelta(minutes=5)
        await store.save(session)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.public_base_url,
                                     cookies={COOKIE: cookie}) as client:  # fmt: skip
            yield client, session


async def test_a_state_change_needs_this_sessions_csrf_token(console) -> None:  # type: ignore[no-untyped-def]
    client, session = console
    refused = await client.post("/language", data={"locale": "ru"})
    assert refused.status_code == 403 and "The form has expired" in refused.text
    wrong = await client.post("/language", data={"locale": "ru", "csrf_token": "x" * 43})
    assert wrong.status_code == 403
    done = await client.post("/language", data={"locale": "ru", "csrf_token": session.csrf_token})
    assert done.status_code == 303
    assert "Найти дело" in (await client.get("/find")).text


async def test_a_cross_site_post_is_refused_before_any_route(console) -> None:  # type: ignore[no-untyped-def]
    client, session = console
    form = {"locale": "ru", "csrf_token": session.csrf_token}
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
        refused = await client.post("/language", data=form, headers=headers)
        assert refused.status_code == 403
        assert "content-security-policy" in refused.headers


@pytest.mark.parametrize("status", [403, 404])
async def test_an_object_the_api_hides_is_not_found(console, apis: FakeApis, status: int) -> None:  # type: ignore[no-untyped-def]
    client, _ = console
    apis.on("GET", f"/v1/cases/{CASE_ID}", status=status, body={"status": status})
    page = await client.get(f"/cases/{CASE_ID}")
    assert page.status_code == 404 and "Not found" in page.text


async def test_an_expired_token_sends_the_browser_to_sign_in(console, apis: FakeApis) -> None:  # type: ignore[no-untyped-def]
    client, _ = console
    apis.on("GET", f"/v1/cases/{CASE_ID}", status=401, body={"status": 401})
    page = await client.get(f"/cases/{CASE_ID}")
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")


async def test_a_form_whose_token_is_refused_sends_the_browser_to_sign_in_too(
    console, apis: FakeApis
) -> None:  # type: ignore[no-untyped-def]
    """Not "the service could not accept these details": only signing in again helps."""
    client, session = console
    apis.on("POST", f"/v1/cases/{CASE_ID}/persons/{PERSON_ID}/assessments", status=401,
            body={"status": 401})  # fmt: skip
    form = {"csrf_token": session.csrf_token, "assessed_on-day": "3", "assessed_on-month": "3",
            "assessed_on-year": "2025", "level-education": "high"}  # fmt: skip
    page = await client.post(f"/cases/{CASE_ID}/persons/{PERSON_ID}/assessment", data=form)
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")


async def test_an_api_that_does_not_answer_gives_a_page_not_a_500(console, apis: FakeApis) -> None:  # type: ignore[no-untyped-def]
    client, _ = console

    def down(_: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("down")

    apis.routes[("GET", f"/v1/cases/{CASE_ID}")] = down
    page = await client.get(f"/cases/{CASE_ID}")
    assert page.status_code == 503 and "Try again in a moment" in page.text
    apis.on("GET", f"/v1/cases/{CASE_ID}", status=502, body={})
    assert (await client.get(f"/cases/{CASE_ID}")).status_code == 503


async def test_field_errors_from_the_api_land_on_the_fields_with_the_input_kept(
    console,
    apis: FakeApis,  # type: ignore[no-untyped-def]
) -> None:
    client, session = console
    errors = [{"loc": ["body", "notes"], "msg": "too long", "type": "string_too_long"}]
    apis.on("POST", f"/v1/cases/{CASE_ID}/persons/{PERSON_ID}/assessments", status=422,
            body={"status": 422, "errors": errors})  # fmt: skip
    form = {"csrf_token": session.csrf_token, "assessed_on-day": "3", "assessed_on-month": "3",
            "assessed_on-year": "2025", "level-education": "high",
            "notes": "kept as typed"}  # fmt: skip
    page = await client.post(f"/cases/{CASE_ID}/persons/{PERSON_ID}/assessment", data=form)
    assert page.status_code == 422
    assert '<a href="#notes">This is too long</a>' in page.text
    assert "kept as typed</textarea>" in page.text
    assert '<option value="high" selected>' in page.text
    sent = json.loads(apis.seen[-1].content)
    assert sent == {"assessed_on": "2025-03-03", "levels": {"education": "high"},
                    "notes": "kept as typed"}  # fmt: skip
    assert apis.seen[-1].headers["authorization"] == f"Bearer {TOKEN}"  # the user's own token


async def test_a_conflict_names_the_states_the_referral_may_move_to(
    console, apis: FakeApis
) -> None:  # type: ignore[no-untyped-def]
    client, session = console
    referral_id = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
    referral = {
        "id": referral_id, "case_id": CASE_ID, "case_code": "HW-7KQ3-M9",
        "person_id": PERSON_ID, "person_code": "P-4TXR-8N", "municipality": "riverton",
        "agency_id": "riverton-primary-school", "agency_type": "school",
        "service_category": "school-enrolment", "priority": "routine", "reason": "x",
        "disclose": [], "state": "accepted", "blocked_on": [], "missing_consent": [],
        "missing_documents": [], "consent_override_basis": None, "send_requested": False,
        "warnings": [], "outcome": None, "allowed_actions": ["cancel"],
        "created_at": "2025-03-03T10:00:00Z", "sent_at": None, "accepted_at": None,
        "started_at": None, "ended_at": None, "history": [], "shared_categories": [],
    }  # fmt: skip
    apis.on("GET", f"/v1/referrals/{referral_id}", body=referral)
    apis.on("POST", f"/v1/referrals/{referral_id}/cancel", status=409,
            body={"status": 409, "allowed_next_states": ["in-progress", "cancelled"]})  # fmt: skip
    form = {"csrf_token": session.csrf_token, "reason": "needs-changed"}
    page = await client.post(f"/referrals/{referral_id}/cancel", data=form)
    assert page.status_code == 409
    assert "From here the referral can only become:" in page.text
    assert "In progress, Cancelled" in page.text


@pytest.mark.parametrize("status", [410, 429])
async def test_other_refusals_are_explained(console, apis: FakeApis, status: int) -> None:  # type: ignore[no-untyped-def]
    client, _ = console
    apis.on("GET", f"/v1/cases/{CASE_ID}", status=status, body={"status": status})
    page = await client.get(f"/cases/{CASE_ID}")
    assert page.status_code == status and "This could not be done" in page.text


async def test_tokens_are_sealed_at_rest_and_the_cookie_is_not_the_key(
    console, database_url: str
) -> None:  # type: ignore[no-untyped-def]
    client, _ = console
    database = Database(database_url)
    async with database.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT id, sealed FROM console_sessions"))).all()
    await database.dispose()
    cookie = client.cookies[COOKIE]
    assert rows and all(TOKEN.encode() not in row.sealed for row in rows)
    assert all(row.id != cookie for row in rows)


def test_a_return_path_never_leaves_the_site() -> None:
    assert safe_next("/cases/1?x=2") == "/cases/1?x=2"
    for outside in ("https://evil.example/", "//evil.example", "/\\evil.example", None, ""):
        assert safe_next(outside) == "/"


async def test_every_state_changing_route_demands_the_token(console, apis: FakeApis) -> None:  # type: ignore[no-untyped-def]
    client, _ = console
    posts = [r.path for m in PAGES for r in m.router.routes if "POST" in r.methods]
    assert len(posts) >= 10
    for path in posts:
        concrete = path.replace("{case_id}", CASE_ID).replace("{person_id}", PERSON_ID)
        for name in ("{consent_id}", "{referral_id}", "{action}", "{notification_id}"):
            concrete = concrete.replace(name, "send" if name == "{action}" else "1")
        refused = await client.post(concrete, data={"locale": "ru"})
        assert refused.status_code == 403, path
    assert not [r for r in apis.seen if r.method == "POST"]  # nothing reached an API


async def test_a_transfer_into_the_municipality_is_decided_from_the_home_page(
    console,
    apis: FakeApis,  # type: ignore[no-untyped-def]
) -> None:
    client, session = console
    transfer = {"id": "t-1", "case_id": CASE_ID, "case_code": "HW-7KQ3-M9",
                "from_municipality": "lakeside", "to_municipality": "riverton",
                "status": "pending", "requested_at": "2025-04-01T08:00:00Z",
                "decided_at": None, "allowed_actions": ["accept", "decline"]}  # fmt: skip
    apis.on("GET", "/v1/referrals", body={"items": [], "total": 0, "next_offset": None})
    apis.on("GET", "/v1/transfers", body=[transfer])
    apis.on("GET", "/v1/notifications",
            body={"items": [], "total": 0, "unread": 0, "next_offset": None})  # fmt: skip
    apis.on("GET", "/v1/consents/expiring", body=[])
    apis.on("GET", "/v1/records", body={"items": [], "total": 0, "next_offset": None})
    apis.on("GET", "/v1/suggestions", body=[])
    apis.on("POST", "/v1/transfers/t-1/accept", body={**transfer, "status": "accepted"})
    home = await client.get("/")
    assert home.status_code == 200
    assert "HW-7KQ3-M9 from lakeside, asked on 01.04.2025" in home.text
    decided = await client.post("/cases/transfers/t-1/accept",
                                data={"csrf_token": session.csrf_token})  # fmt: skip
    assert decided.status_code == 303 and decided.headers["location"] == "/?done=transfer-accept"
    assert apis.seen[-1].url.path == "/v1/transfers/t-1/accept"


async def test_an_idle_session_ends_on_the_server(console, database_url: str) -> None:  # type: ignore[no-untyped-def]
    client, _ = console
    assert (await client.get("/find")).status_code == 200
    idle_since = utcnow() - timedelta(seconds=ConsoleSettings().idle_timeout_s + 1)
    database = Database(database_url)
    async with database.engine.begin() as connection:
        await connection.execute(text("UPDATE console_sessions SET last_seen_at = :at"),
                                 {"at": idle_since})  # fmt: skip
    await database.dispose()
    page = await client.get("/find")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert (await client.get("/find")).status_code == 303  # and it is gone for good


async def last_seen(database_url: str) -> Any:
    database = Database(database_url)
    async with database.engine.begin() as connection:
        seen = (await connection.execute(text("SELECT last_seen_at FROM console_sessions"))).all()
    await database.dispose()
    return [row[0] for row in seen]


async def test_stay_signed_in_renews_and_a_live_refresh_does_not(  # type: ignore[no-untyped-def]
    console, database_url: str
) -> None:
    client, session = console
    [created] = await last_seen(database_url)
    refreshed = await client.get("/find", headers={"X-Live-Refresh": "1"})
    assert refreshed.status_code == 200
    assert await last_seen(database_url) == [created]  # the page following news: not the user
    form = {"csrf_token": session.csrf_token, "next": "/find"}
    as_json = {"Accept": "application/json"}
    kept = await client.post("/session/keep-alive", headers=as_json, data=form)
    assert kept.status_code == 200
    assert kept.json() == {"idle_timeout_s": ConsoleSettings().idle_timeout_s}
    [renewed] = await last_seen(database_url)
    assert renewed > created
    without_script = await client.post("/session/keep-alive", data=form)
    assert without_script.status_code == 303 and without_script.headers["location"] == "/find"


ISSUER = ConsoleSettings().oidc_issuer
END_SESSION = f"{ISSUER}/protocol/openid-connect/logout"


async def test_the_idle_timer_signs_out_here_and_at_the_identity_provider(  # type: ignore[no-untyped-def]
    console, apis: FakeApis, database_url: str
) -> None:
    client, session = console
    apis.on("GET", "/realms/homeward/.well-known/openid-configuration",
            body={"end_session_endpoint": END_SESSION})  # fmt: skip
    refused = await client.post("/logout?idle=true", data={"csrf_token": "x" * 43})
    assert refused.status_code == 403 and await last_seen(database_url) != []
    ended = await client.post("/logout?idle=true", data={"csrf_token": session.csrf_token})
    assert ended.status_code == 303 and await last_seen(database_url) == []
    target = httpx.URL(ended.headers["location"])
    assert str(target.copy_with(query=None)) == END_SESSION
    back = f"{ConsoleSettings().public_base_url}/signed-out?idle=true"
    assert target.params["post_logout_redirect_uri"] == back
    # The server ended it first (a late timer): the identity provider is still asked, without
    # a hint, so it asks the user before ending its own session.
    late = await client.post("/logout?idle=true", data={"csrf_token": session.csrf_token})
    assert late.status_code == 303
    late_target = httpx.URL(late.headers["location"])
    assert str(late_target.copy_with(query=None)) == END_SESSION
    assert "id_token_hint" not in late_target.params


def test_cookies_are_secure_outside_loopback_and_demo_secrets_refused_in_production() -> None:
    assert ConsoleSettings(public_base_url="https://homeward.example.org").secure_cookies
    assert not ConsoleSettings(public_base_url="http://127.0.0.1:8405").secure_cookies
    real_key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
    with pytest.raises(ValueError, match="oidc_client_secret"):
        ConsoleSettings(environment="production", key_encryption_key=real_key)


async def test_an_identity_is_shown_for_a_stated_purpose_on_that_view_only(
    console,
    apis: FakeApis,  # type: ignore[no-untyped-def]
) -> None:
    client, session = console
    path = f"/v1/cases/{CASE_ID}/persons/{PERSON_ID}/identity"
    apis.on("GET", path, body={"person_id": PERSON_ID, "person_code": "P-4TXR-8N",
                               "full_name": "Amina Example", "date_of_birth": "2016-05-17",
                               "place_of_birth": None, "national_id": None, "address": None,
                               "phone": None})  # fmt: skip
    page = f"/cases/{CASE_ID}/persons/{PERSON_ID}/identity"
    asked = await client.get(page)
    assert asked.status_code == 200 and "Amina Example" not in asked.text
    assert not [r for r in apis.seen if r.url.path == path]  # nothing read before a purpose
    no_purpose = await client.post(page, data={"csrf_token": session.csrf_token})
    assert no_purpose.status_code == 422 and '<a href="#purpose">' in no_purpose.text
    shown = await client.post(page, data={"csrf_token": session.csrf_token,
                                          "purpose": "documentation"})  # fmt: skip
    assert shown.status_code == 200 and "Amina Example" in shown.text and "17.05.2016" in shown.text
    assert shown.headers["cache-control"] == "no-store"
    assert apis.seen[-1].url.params["purpose"] == "documentation"
    assert "Amina Example" not in (await client.get(f"/cases/{CASE_ID}")).text
