"""Who may do what, role by role and endpoint by endpoint.

Each demo user calls every endpoint against a Riverton child whose school referral is
blocked on documents (so the school has a referral for them). Expected: 2xx where the role
and the municipality (or, for partners, the referral) allow it, 403 where the role may not
call the operation, 404 where the object is outside the caller's scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.documents.conftest import DocumentsHarness
from tests.documents.helpers import (
    eventually,
    issued_body,
    published,
    referral_blocked,
    referral_sent,
)
from tests.documents.test_api_records import announce

OK, FORBIDDEN, HIDDEN = "ok", 403, 404
USERS: dict[str, tuple[set[str], str | None]] = {
    "documents.riverton": ({"documents-officer"}, "riverton"),
    "documents.lakeside": ({"documents-officer"}, "lakeside"),
    "coordinator.riverton": ({"coordinator"}, "riverton"),
    "coordinator.lakeside": ({"coordinator"}, "lakeside"),
    "supervisor.riverton": ({"supervisor"}, "riverton"),
    "school.riverton": ({"partner"}, "riverton"),
    "police.riverton": ({"partner"}, "riverton"),
    "auditor": ({"auditor"}, None),
    "admin": ({"admin"}, None),
}
OFFICER, STAFF = {"documents-officer"}, {"documents-officer", "coordinator", "supervisor"}


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: Callable[[dict[str, str]], str]
    roles: set[str]
    scope: str  # "person": the Riverton child; "referred": partner via referral; "none"
    body: dict[str, Any] | None = None


def _p(template: str) -> Callable[[dict[str, str]], str]:
    return lambda ids: template.format(**ids)


ENDPOINTS = [
    Endpoint("read_catalogue", "GET", _p("/v1/catalogue"), STAFF | {"admin"}, "none"),
    Endpoint("list_records", "GET", _p("/v1/persons/{person}/records"), STAFF, "person"),
    Endpoint("read_record", "GET", _p("/v1/records/{record}"), STAFF, "person"),
    Endpoint("read_readiness", "GET", _p("/v1/persons/{person}/readiness"),
             STAFF | {"partner"}, "referred"),
    Endpoint("read_case_readiness", "GET", _p("/v1/cases/{case}/readiness"), STAFF, "person"),
    Endpoint("read_case_records", "GET", _p("/v1/cases/{case}/records"), STAFF, "person"),
    Endpoint("list_tasks", "GET", _p("/v1/tasks"), STAFF, "none"),
    Endpoint("read_overview", "GET", _p("/v1/overview"), {"supervisor"}, "none"),
    Endpoint("list_audit_entries", "GET", _p("/v1/audit"), {"auditor"}, "none"),
    Endpoint("create_record", "POST", _p("/v1/persons/{person}/records"), OFFICER, "person",
             {"document_type": "guardianship-order"}),
    Endpoint("update_record_details", "PATCH", _p("/v1/records/{record}"), OFFICER, "person",
             {"issuing_authority": "Riverton civil registry"}),
    Endpoint("change_record_status", "POST", _p("/v1/records/{record}/status"), OFFICER,
             "person", issued_body()),
]  # fmt: skip


def expected(user: str, endpoint: Endpoint) -> int | str:
    roles, municipality = USERS[user]
    if not roles & endpoint.roles:
        return FORBIDDEN
    if endpoint.scope in ("person", "referred") and roles & STAFF:
        return OK if municipality == "riverton" else HIDDEN
    if endpoint.scope == "referred":
        return OK if user == "school.riverton" else HIDDEN
    return OK


@pytest.mark.parametrize("user", list(USERS))
async def test_access_matrix(documents: DocumentsHarness, user: str) -> None:
    person, records = await announce(documents)
    blocked = referral_blocked(person)
    # The school's referral, blocked on documents, was sent: the school may see readiness.
    await documents.publish(referral_sent(blocked, person), blocked)  # task raised: both read
    await eventually(
        lambda: _async(bool(published(documents.broker, "homeward.documentation_task.raised.v1")))
    )
    ids = {"person": str(person.person_id), "record": records["birth-certificate"]["id"],
           "case": str(person.case_id)}  # fmt: skip
    mismatches = []
    for endpoint in ENDPOINTS:
        response = await documents.call(user, endpoint.method, endpoint.path(ids),
                                        json=endpoint.body)  # fmt: skip
        want = expected(user, endpoint)
        got_ok = 200 <= response.status_code < 300
        if (want == OK and not got_ok) or (want != OK and response.status_code != want):
            mismatches.append(f"{endpoint.name}: expected {want}, got {response.status_code} "
                              f"{response.text[:160]}")  # fmt: skip
    assert not mismatches, "\n".join(mismatches)


async def test_no_token_is_401(documents: DocumentsHarness) -> None:
    assert (await documents.http.get("/v1/tasks")).status_code == 401


async def test_hidden_and_missing_persons_look_the_same(documents: DocumentsHarness) -> None:
    person, _ = await announce(documents)
    hidden = await documents.call("documents.lakeside", "GET",
                                  f"/v1/persons/{person.person_id}/records")  # fmt: skip
    missing = await documents.call("documents.lakeside", "GET", "/v1/persons/nobody/records")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == missing.json()["detail"]


async def _async(value: bool) -> bool:
    return value
