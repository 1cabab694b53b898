"""Who may do what, role by role: 2xx where allowed, 403 for a forbidden operation, 404 for
an object outside the caller's scope (a school reading a police referral, Lakeside reading
Riverton's)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.referrals.conftest import ReferralsHarness
from tests.referrals.helpers import referral_body

OK, FORBIDDEN, HIDDEN = "ok", 403, 404
USERS: dict[str, tuple[set[str], str | None]] = {
    "coordinator.riverton": ({"coordinator"}, "riverton"),
    "supervisor.riverton": ({"supervisor"}, "riverton"),
    "coordinator.lakeside": ({"coordinator"}, "lakeside"),
    "supervisor.lakeside": ({"supervisor"}, "lakeside"),
    "police.riverton": ({"partner"}, "riverton-police"),
    "school.riverton": ({"partner"}, "riverton-primary-school"),
    "school-system": ({"partner"}, "riverton-primary-school"),
    "health.riverton": ({"partner"}, "riverton-health-centre"),
    "documents.riverton": ({"documents-officer"}, "riverton"),
    "auditor": ({"auditor"}, None),
    "admin": ({"admin"}, None),
}
MUNICIPAL, REQUESTER, PARTNER = {"coordinator", "supervisor"}, {"coordinator"}, {"partner"}
DIRECTORY = {"coordinator", "supervisor", "partner", "admin"}
AGENCY = {"name": "Riverton Housing", "agency_type": "housing", "service_categories": ["housing"],
          "municipalities": ["riverton"]}  # fmt: skip


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: Callable[[dict[str, str]], str]
    roles: set[str]
    scope: str  # "school"/"police"/"draft"/"blocked": a Riverton referral; "case"; "none"
    body: dict[str, Any] | None = None


def _ref(which: str, suffix: str = "") -> Callable[[dict[str, str]], str]:
    return lambda ids: f"/v1/referrals/{ids[which]}{suffix}"


ENDPOINTS = [
    Endpoint("search_agencies", "GET", lambda _: "/v1/agencies?service_category=housing",
             DIRECTORY, "none"),
    Endpoint("export_hsds", "GET", lambda _: "/v1/directory/hsds", DIRECTORY, "none"),
    Endpoint("list_referrals", "GET", lambda _: "/v1/referrals", MUNICIPAL | PARTNER, "none"),
    Endpoint("read_school_referral", "GET", _ref("school"), MUNICIPAL | PARTNER, "school"),
    Endpoint("read_police_referral", "GET", _ref("police"), MUNICIPAL | PARTNER, "police"),
    Endpoint("indicators", "GET", lambda _: "/v1/indicators", {"supervisor"}, "none"),
    Endpoint("audit", "GET", lambda _: "/v1/audit", {"auditor"}, "none"),
    Endpoint("audit_csv", "GET", lambda _: "/v1/audit.csv", {"auditor"}, "none"),
    Endpoint("list_suggestions", "GET", lambda _: "/v1/suggestions", MUNICIPAL | PARTNER, "none"),
    Endpoint("update_school_profile", "PUT",
             lambda _: "/v1/agencies/riverton-primary-school/profile", PARTNER, "school",
             {"capacity": "open", "service_categories": ["school-enrolment"],
              "municipalities": ["riverton"], "languages": ["kk"]}),
    Endpoint("create_agency", "POST", lambda _: "/v1/agencies", {"admin"}, "none",
             {**AGENCY, "id": "riverton-housing"}),
    Endpoint("create_referral", "POST", lambda _: "/v1/referrals", REQUESTER, "case", {}),
    Endpoint("send_draft", "POST", _ref("draft", "/send"), REQUESTER, "draft", {}),
    Endpoint("accept_school", "POST", _ref("school", "/accept"), PARTNER, "school", {}),
    # The receiving agency may cancel too (SDOHCC: set by requester or responder).
    Endpoint("cancel_police", "POST", _ref("police", "/cancel"), REQUESTER | PARTNER, "police",
             {"reason": "duplicate"}),
    Endpoint("override_consent", "POST", _ref("blocked", "/consent-override"), {"supervisor"},
             "blocked", {"legal_basis": "public-task", "reason": "statutory duty here"}),
]  # fmt: skip


def expected(user: str, endpoint: Endpoint) -> int | str:
    roles, scope = USERS[user]
    if not roles & endpoint.roles:
        return FORBIDDEN
    if endpoint.scope == "none":
        return OK
    if "partner" in roles:
        target = {"school": "riverton-primary-school", "police": "riverton-police"}
        return OK if target.get(endpoint.scope) == scope else HIDDEN
    return OK if scope == "riverton" else HIDDEN


async def _setup(referrals: ReferralsHarness) -> tuple[dict[str, str], dict[str, Any]]:
    family = await referrals.family()
    await referrals.feed(family.consent(family.child, "school", ["education"]),
                         family.consent(family.mother, "police", ["legal"]))  # fmt: skip

    async def create(body: dict[str, Any]) -> str:
        return (await referrals.create_referral(body))["id"]

    ids = {
        "school": await create(referral_body(family)),
        "police": await create(referral_body(family, person_id=family.mother,
                                             agency_id="riverton-police",
                                             service_category="legal-aid", disclose=["legal"])),
        "draft": await create(referral_body(family, send=False)),
        "blocked": await create(referral_body(family, disclose=["health"])),
    }  # fmt: skip
    return ids, referral_body(family)


@pytest.mark.parametrize("user", list(USERS))
async def test_access_matrix(referrals: ReferralsHarness, user: str) -> None:
    ids, new_referral = await _setup(referrals)
    mismatches = []
    for endpoint in ENDPOINTS:
        body = new_referral if endpoint.name == "create_referral" else endpoint.body
        response = await referrals.call(user, endpoint.method, endpoint.path(ids), json=body)
        want = expected(user, endpoint)
        got_ok = 200 <= response.status_code < 300
        if (want == OK and not got_ok) or (want != OK and response.status_code != want):
            mismatches.append(f"{endpoint.name}: expected {want}, got {response.status_code} "
                              f"{response.text[:160]}")  # fmt: skip
    assert not mismatches, "\n".join(mismatches)


async def test_partner_lists_only_its_agency(referrals: ReferralsHarness) -> None:
    ids, _ = await _setup(referrals)
    listed = (await referrals.call("school.riverton", "GET", "/v1/referrals")).json()
    assert {item["id"] for item in listed["items"]} == {ids["school"]}  # no draft, no police
    police = (await referrals.call("police.riverton", "GET", "/v1/referrals")).json()
    assert {item["id"] for item in police["items"]} == {ids["police"]}


async def test_partner_cannot_take_requester_actions(referrals: ReferralsHarness) -> None:
    ids, _ = await _setup(referrals)
    for action in ("send", "entered-in-error"):
        response = await referrals.call("school.riverton", "POST",
                                        f"/v1/referrals/{ids['school']}/{action}",
                                        json={"reason": "other"})  # fmt: skip
        assert response.status_code == 403, action
    cancelled = await referrals.call("school.riverton", "POST",
                                     f"/v1/referrals/{ids['school']}/cancel",
                                     json={"reason": "no-capacity"})  # fmt: skip
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    hidden = await referrals.call("school.riverton", "GET", f"/v1/referrals/{ids['police']}")
    missing = await referrals.call("school.riverton", "GET", "/v1/referrals/no-such-id")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == missing.json()["detail"]


async def test_no_token_is_401(referrals: ReferralsHarness) -> None:
    assert (await referrals.http.get("/v1/referrals")).status_code == 401
