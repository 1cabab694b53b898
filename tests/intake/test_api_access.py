"""Who may do what, role by role and endpoint by endpoint.

For each demo user the whole endpoint list runs against a fresh database holding a Riverton
case (with identities, assessment, consent, receiving family), two pending transfers to
Lakeside and two pending closure requests. Expected: 2xx where the role and the municipality
allow it, 403 where the role may not call the operation, 404 where the object is outside the
caller's municipality.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from homeward.common.testing.apps import ServiceHarness
from tests.intake.intake_helpers import family, in_days

OWNER = "coordinator.riverton"
OK, FORBIDDEN, HIDDEN = "ok", 403, 404

# user -> (roles, municipality)
USERS: dict[str, tuple[set[str], str | None]] = {
    "coordinator.riverton": ({"coordinator"}, "riverton"),
    "supervisor.riverton": ({"supervisor"}, "riverton"),
    "coordinator.lakeside": ({"coordinator"}, "lakeside"),
    "supervisor.lakeside": ({"supervisor"}, "lakeside"),
    "police.riverton": ({"partner"}, "riverton"),
    "school.riverton": ({"partner"}, "riverton"),
    "health.riverton": ({"partner"}, "riverton"),
    "religious.riverton": ({"partner"}, "riverton"),
    "documents.riverton": ({"documents-officer"}, "riverton"),
    "auditor": ({"auditor"}, None),
    "admin": ({"admin"}, None),
}
WRITER, READER, SUPERVISOR = {"coordinator"}, {"coordinator", "supervisor"}, {"supervisor"}


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: Callable[[dict[str, str]], str]
    roles: set[str]
    scope: str  # "case": the Riverton case; "incoming": to Lakeside; "unheld"; "none"
    body: dict[str, Any] | None = None
    headers: dict[str, str] | None = None


def _case(suffix: str = "") -> Callable[[dict[str, str]], str]:
    return lambda ids: f"/v1/cases/{ids['case']}{suffix}".format(**ids)


ASSESSMENT = {"assessed_on": "2025-03-02", "levels": {"basic-needs": "high"}}
# Reads first, writes next, state-ending commands (transfer decisions, close, erase) last.
ENDPOINTS = [
    Endpoint("list_cases", "GET", lambda _: "/v1/cases", READER, "none"),
    Endpoint("read_case", "GET", _case(), READER, "case"),
    Endpoint("find_case_by_code", "GET", lambda ids: f"/v1/cases/by-code/{ids['typed_code']}",
             READER, "case"),
    Endpoint("read_identity", "GET", _case("/persons/{mother}/identity"), READER, "case",
             headers={"X-Purpose": "case-review"}),
    Endpoint("read_receiving_family", "GET", _case("/receiving-family"), READER, "case"),
    Endpoint("list_assessments", "GET", _case("/persons/{child}/assessments"), READER, "case"),
    Endpoint("read_latest_assessment", "GET", _case("/persons/{child}/assessments/latest"),
             READER, "case"),
    Endpoint("list_consents", "GET", _case("/persons/{child}/consents"), READER, "case"),
    Endpoint("list_case_assessments", "GET", _case("/assessments"), READER, "case"),
    Endpoint("list_case_consents", "GET", _case("/consents"), READER, "case"),
    Endpoint("list_expiring_consents", "GET", lambda _: "/v1/consents/expiring", READER, "none"),
    Endpoint("list_transfers", "GET", lambda _: "/v1/transfers", READER, "none"),
    Endpoint("list_closure_requests", "GET", lambda _: "/v1/closure-requests", READER, "none"),
    Endpoint("list_audit_entries", "GET", lambda _: "/v1/audit", {"auditor"}, "none"),
    Endpoint("export_audit_entries", "GET", lambda _: "/v1/audit.csv", {"auditor"}, "none"),
    # No agency holds an accepted referral for the child here: every partner hears 404.
    Endpoint("reveal_identity_to_agency", "GET",
             lambda ids: f"/v1/agency/persons/{ids['child']}/identity", {"partner"}, "unheld",
             headers={"X-Purpose": "documentation"}),
    Endpoint("reveal_identity_to_registry", "GET",
             lambda ids: f"/v1/registry/persons/{ids['child']}/identity",
             {"documents-officer"}, "case", headers={"X-Purpose": "documentation"}),
    Endpoint("register_case", "POST", lambda _: "/v1/cases", WRITER, "none", family()),
    Endpoint("add_person", "POST", _case("/persons"), WRITER, "case",
             {"household_role": "grandparent", "birth_year": 1960}),
    Endpoint("record_identity", "PUT", _case("/persons/{child}/identity"), WRITER, "case",
             {"full_name": "Test Person"}),
    Endpoint("assign_coordinator", "PUT", _case("/coordinator"), WRITER, "case",
             {"coordinator": "coordinator.riverton"}),
    Endpoint("record_receiving_family", "PUT", _case("/receiving-family"), WRITER, "case",
             {"relation": "grandparents", "support_capacity": "limited"}),
    Endpoint("record_assessment", "POST", _case("/persons/{child}/assessments"), WRITER, "case",
             ASSESSMENT),
    Endpoint("grant_consent", "POST", _case("/persons/{mother}/consents"), WRITER, "case",
             {"recipient_agency_type": "health", "categories": ["health"],
              "legal_basis": "vital-interest", "valid_until": in_days(90)}),
    Endpoint("revoke_consent", "POST", _case("/persons/{child}/consents/{consent}/revoke"),
             WRITER, "case"),
    Endpoint("request_transfer", "POST", _case("/transfers"), WRITER, "case",
             {"to_municipality": "harbour"}),
    Endpoint("request_closure", "POST", _case("/closure-requests"), WRITER, "case",
             {"reason": "other"}),
    # Supervisors decide transfers and closures (the setting's default).
    Endpoint("accept_transfer", "POST", lambda ids: f"/v1/transfers/{ids['transfer_a']}/accept",
             SUPERVISOR, "incoming"),
    Endpoint("decline_transfer", "POST", lambda ids: f"/v1/transfers/{ids['transfer_b']}/decline",
             SUPERVISOR, "incoming", {"reason": "no-capacity"}),
    Endpoint("approve_closure", "POST",
             lambda ids: f"/v1/closure-requests/{ids['closure_a']}/approve", SUPERVISOR, "case"),
    Endpoint("reject_closure", "POST",
             lambda ids: f"/v1/closure-requests/{ids['closure_b']}/reject", SUPERVISOR, "case",
             {"reason": "support-still-needed"}),
    Endpoint("close_case", "POST", _case("/close"), SUPERVISOR, "case", {"reason": "other"}),
    Endpoint("erase_case_identities", "POST", _case("/erasure"), SUPERVISOR, "case"),
]  # fmt: skip


def expected(user: str, endpoint: Endpoint) -> int | str:
    roles, municipality = USERS[user]
    if not roles & endpoint.roles:
        return FORBIDDEN
    if endpoint.scope == "unheld":
        return HIDDEN
    if endpoint.scope == "case" and municipality != "riverton":
        return HIDDEN
    if endpoint.scope == "incoming" and municipality != "lakeside":
        # The sending side sees its transfer but may not decide it.
        return FORBIDDEN if municipality == "riverton" else HIDDEN
    return OK


async def _setup(intake: ServiceHarness) -> dict[str, str]:
    async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await intake.call(OWNER, "POST", path, json=body)
        assert response.status_code == 201, response.text
        return response.json()

    case = await post("/v1/cases", family())
    mother, child = case["persons"][0]["id"], case["persons"][1]["id"]
    base = f"/v1/cases/{case['id']}"
    await post(f"{base}/persons/{child}/assessments", ASSESSMENT)
    consent = await post(
        f"{base}/persons/{child}/consents",
        {"recipient_agency_type": "school", "categories": ["education"], "legal_basis": "consent",
         "given_by_person_id": mother, "valid_until": in_days(180)},
    )  # fmt: skip
    response = await intake.call(
        OWNER, "PUT", f"{base}/receiving-family",
        json={"relation": "grandparents", "support_capacity": "adequate"},
    )  # fmt: skip
    assert response.status_code == 200
    transfers = []
    for _ in range(2):
        moving = await post("/v1/cases", family(persons=[]))
        transfers.append(
            await post(f"/v1/cases/{moving['id']}/transfers", {"to_municipality": "lakeside"})
        )
    closures = []
    for _ in range(2):
        closing = await post("/v1/cases", family(persons=[]))
        closures.append(
            await post(f"/v1/cases/{closing['id']}/closure-requests", {"reason": "moved-abroad"})
        )
    typed_code = case["code"].lower().replace("-", "")
    return {"case": case["id"], "typed_code": typed_code, "mother": mother, "child": child,
            "consent": consent["id"], "transfer_a": transfers[0]["id"],
            "transfer_b": transfers[1]["id"], "closure_a": closures[0]["id"],
            "closure_b": closures[1]["id"]}  # fmt: skip


@pytest.mark.parametrize("user", list(USERS))
async def test_access_matrix(intake: ServiceHarness, user: str) -> None:
    ids = await _setup(intake)
    mismatches = []
    for endpoint in ENDPOINTS:
        response = await intake.call(
            user, endpoint.method, endpoint.path(ids), json=endpoint.body,
            headers=endpoint.headers or {},
        )  # fmt: skip
        want = expected(user, endpoint)
        got_ok = 200 <= response.status_code < 300
        if (want == OK and not got_ok) or (want != OK and response.status_code != want):
            mismatches.append(f"{endpoint.name}: expected {want}, got {response.status_code} "
                              f"{response.text[:160]}")  # fmt: skip
        if response.status_code in (403, 404):
            assert response.headers["content-type"].startswith("application/problem+json")
    assert not mismatches, "\n".join(mismatches)


async def test_no_token_is_401(intake: ServiceHarness) -> None:
    response = await intake.http.get("/v1/cases")
    assert response.status_code == 401


async def test_hidden_and_missing_cases_look_the_same(intake: ServiceHarness) -> None:
    ids = await _setup(intake)
    hidden = await intake.call("coordinator.lakeside", "GET", f"/v1/cases/{ids['case']}")
    missing = await intake.call("coordinator.lakeside", "GET", "/v1/cases/does-not-exist")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == missing.json()["detail"]
