"""Supervisors decide transfers and closures (a setting, on by default): a coordinator asks
to close, the municipality's supervisor approves or rejects with a reason code; a transfer
is accepted or declined (with a reason) by the receiving supervisor. With the setting off,
coordinators may decide both, as before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from homeward.common.events import OutboxRecord
from homeward.common.testing.apps import ServiceHarness
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.intake.adapters.tables import ClosureRequestRow
from tests.intake.conftest import running_intake
from tests.intake.intake_helpers import family

COORDINATOR, SUPERVISOR = "coordinator.riverton", "supervisor.riverton"


async def _case(intake: ServiceHarness) -> dict[str, Any]:
    response = await intake.call(COORDINATOR, "POST", "/v1/cases", json=family(persons=[]))
    assert response.status_code == 201
    return response.json()


async def _status(intake: ServiceHarness, case: dict[str, Any]) -> str:
    return (await intake.call(COORDINATOR, "GET", f"/v1/cases/{case['id']}")).json()["status"]


async def _events(intake: ServiceHarness, event_type: str) -> list[dict[str, Any]]:
    async with intake.database.session() as session:
        rows = await session.exec(select(OutboxRecord).where(OutboxRecord.type == event_type))
        return [row.data for row in rows]


async def _allowed(intake: ServiceHarness, who: str) -> dict[str, list[str]]:
    listed = await intake.call(who, "GET", "/v1/transfers", params={"status": "pending"})
    assert listed.status_code == 200, listed.text
    return {t["id"]: t["allowed_actions"] for t in listed.json()}


async def test_coordinator_requests_and_supervisor_approves(intake: ServiceHarness) -> None:
    case = await _case(intake)
    requests = f"/v1/cases/{case['id']}/closure-requests"
    asked = await intake.call(COORDINATOR, "POST", requests, json={"reason": "moved-abroad"})
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert request["status"] == "pending" and request["case_code"] == case["code"]
    assert await _status(intake, case) == "closure-requested"
    twice = await intake.call(COORDINATOR, "POST", requests, json={"reason": "other"})
    assert twice.status_code == 409
    # Work goes on while the supervisor decides: the case is not closed yet.
    added = await intake.call(
        COORDINATOR, "POST", f"/v1/cases/{case['id']}/persons",
        json={"household_role": "grandparent", "birth_year": 1960},
    )  # fmt: skip
    assert added.status_code == 201
    direct = await intake.call(SUPERVISOR, "POST", f"/v1/cases/{case['id']}/close",
                               json={"reason": "other"})  # fmt: skip
    assert direct.status_code == 409 and "request" in direct.json()["detail"]

    pending = await intake.call(SUPERVISOR, "GET", "/v1/closure-requests?status=pending")
    assert [r["id"] for r in pending.json()] == [request["id"]]
    assert (await intake.call("supervisor.lakeside", "GET", "/v1/closure-requests")).json() == []
    approve = f"/v1/closure-requests/{request['id']}/approve"
    assert (await intake.call(COORDINATOR, "POST", approve)).status_code == 403
    assert (await intake.call("supervisor.lakeside", "POST", approve)).status_code == 404
    approved = await intake.call(SUPERVISOR, "POST", approve)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert await _status(intake, case) == "closed"
    [closed] = await _events(intake, "homeward.case.closed.v1")
    assert closed["reason"] == "moved-abroad"
    assert (await intake.call(SUPERVISOR, "POST", approve)).status_code == 409


async def test_supervisor_rejects_with_a_reason_and_the_case_stays_open(
    intake: ServiceHarness,
) -> None:
    case = await _case(intake)
    asked = await intake.call(COORDINATOR, "POST", f"/v1/cases/{case['id']}/closure-requests",
                              json={"reason": "reintegration-completed"})  # fmt: skip
    reject = f"/v1/closure-requests/{asked.json()['id']}/reject"
    for body in ({}, {"reason": "because I say so"}, {"reason": "other", "note": "x"}):
        refused = await intake.call(SUPERVISOR, "POST", reject, json=body)
        assert refused.status_code == 422, body
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert await _status(intake, case) == "closure-requested"  # nothing half-written
    rejected = await intake.call(SUPERVISOR, "POST", reject, json={"reason": "plan-review-first"})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["decision_reason"] == "plan-review-first"
    assert await _status(intake, case) == "open"
    [event] = await _events(intake, "homeward.case.closure_rejected.v1")
    assert event["rejection_reason"] == "plan-review-first"
    assert event["case_code"] == case["code"]
    seen = (await intake.call(COORDINATOR, "GET", "/v1/closure-requests")).json()
    assert [(r["status"], r["decision_reason"]) for r in seen] == [
        ("rejected", "plan-review-first")
    ]


async def test_closure_requests_refuse_bad_input_and_other_roles(intake: ServiceHarness) -> None:
    case = await _case(intake)
    path = f"/v1/cases/{case['id']}/closure-requests"
    assert (await intake.http.post(path, json={"reason": "other"})).status_code == 401
    assert (await intake.http.post(path, json={"reason": "nonsense"})).status_code == 401
    for user in (SUPERVISOR, "school.riverton", "auditor"):
        assert (await intake.call(user, "POST", path, json={"reason": "other"})).status_code == 403
    hidden = await intake.call("coordinator.lakeside", "POST", path, json={"reason": "other"})
    assert hidden.status_code == 404
    bad = await intake.call(COORDINATOR, "POST", path, json={"reason": "Zaynab left"})
    assert bad.status_code == 422 and "Zaynab" not in bad.text
    missing = await intake.call(SUPERVISOR, "POST", "/v1/closure-requests/nope/approve")
    assert missing.status_code == 404
    async with intake.database.session() as session:
        assert (await session.exec(select(ClosureRequestRow))).all() == []


async def test_transfer_decline_needs_the_receiving_supervisor_and_a_reason(
    intake: ServiceHarness,
) -> None:
    case = await _case(intake)
    transfer = (
        await intake.call(
            COORDINATOR,
            "POST",
            f"/v1/cases/{case['id']}/transfers",
            json={"to_municipality": "lakeside"},
        )
    ).json()
    # What each may do with it, as intake tells a client (the console's home page).
    assert transfer["allowed_actions"] == []  # the requesting side decides nothing
    assert await _allowed(intake, "coordinator.lakeside") == {transfer["id"]: []}
    assert await _allowed(intake, "supervisor.lakeside") == {transfer["id"]: ["accept", "decline"]}
    assert await _allowed(intake, SUPERVISOR) == {transfer["id"]: []}  # the sending side
    decline = f"/v1/transfers/{transfer['id']}/decline"
    for user in ("coordinator.lakeside", COORDINATOR):
        refused = await intake.call(user, "POST", decline, json={"reason": "no-capacity"})
        assert refused.status_code == 403, user
    assert (await intake.call("supervisor.lakeside", "POST", decline, json={})).status_code == 422
    declined = await intake.call(
        "supervisor.lakeside", "POST", decline, json={"reason": "not-resident-here"}
    )
    assert declined.status_code == 200
    assert declined.json()["decision_reason"] == "not-resident-here"
    assert declined.json()["allowed_actions"] == []  # decided: nothing left to do
    [event] = await _events(intake, "homeward.transfer.declined.v1")
    assert event["reason_code"] == "not-resident-here"


@pytest.fixture
async def coordinators_decide(
    database_url: str, identity_provider: RunningIdentityProvider
) -> AsyncIterator[ServiceHarness]:
    async with running_intake(
        database_url, identity_provider, supervisors_decide_transfers_and_closures=False
    ) as harness:
        yield harness


async def test_with_the_setting_off_coordinators_decide_too(
    coordinators_decide: ServiceHarness,
) -> None:
    intake = coordinators_decide
    moving, closing = await _case(intake), await _case(intake)
    transfer = (
        await intake.call(
            COORDINATOR,
            "POST",
            f"/v1/cases/{moving['id']}/transfers",
            json={"to_municipality": "lakeside"},
        )
    ).json()
    assert await _allowed(intake, "coordinator.lakeside") == {transfer["id"]: ["accept", "decline"]}
    accepted = await intake.call(
        "coordinator.lakeside", "POST", f"/v1/transfers/{transfer['id']}/accept"
    )
    assert accepted.status_code == 200
    closed = await intake.call(COORDINATOR, "POST", f"/v1/cases/{closing['id']}/close",
                               json={"reason": "duplicate-record"})  # fmt: skip
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert (
        await intake.call(
            "school.riverton", "POST", f"/v1/cases/{closing['id']}/close", json={"reason": "other"}
        )
    ).status_code == 403
