"""The audit trail as auditors read it: filters, bounded pages, CSV export; no case content.

The list and export are one shared implementation (homeward.common.audit) mounted by every
service; intake's trail, with its identity reads, exercises it here.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from homeward.common.testing.apps import ServiceHarness
from tests.intake.intake_helpers import FAMILY_SECRETS, family

OWNER = "coordinator.riverton"


async def _actor(intake: ServiceHarness, user: str) -> str:
    me = (await intake.call(user, "GET", "/v1/me")).json()
    return f"{me['issuer']}#{me['subject']}"


async def _trail_with_reads(intake: ServiceHarness) -> dict[str, str]:
    case = (await intake.call(OWNER, "POST", "/v1/cases", json=family())).json()
    mother = case["persons"][0]["id"]
    for user, purpose in ((OWNER, "documentation"), ("supervisor.riverton", "case-review")):
        response = await intake.call(
            user, "GET", f"/v1/cases/{case['id']}/persons/{mother}/identity",
            headers={"X-Purpose": purpose},
        )  # fmt: skip
        assert response.status_code == 200, response.text
    other = (await intake.call("coordinator.lakeside", "POST", "/v1/cases", json=family())).json()
    return {"case_code": case["code"], "other_code": other["code"]}


async def test_filters_by_actor_case_purpose_and_time(intake: ServiceHarness) -> None:
    codes = await _trail_with_reads(intake)
    supervisor = await _actor(intake, "supervisor.riverton")

    async def entries(**params: str) -> list[dict[str, object]]:
        response = await intake.call("auditor", "GET", "/v1/audit", params=params)
        assert response.status_code == 200, response.text
        return response.json()["items"]

    by_supervisor = await entries(actor=supervisor)
    assert [(e["action"], e["purpose"]) for e in by_supervisor] == [
        ("identity.read", "case-review")
    ]
    by_case = await entries(case_code=codes["case_code"])
    assert {e["case_code"] for e in by_case} == {codes["case_code"]}
    assert {e["action"] for e in by_case} >= {"case.registered", "identity.recorded"}
    assert [e["purpose"] for e in await entries(purpose="documentation")] == ["documentation"]
    now = datetime.now(UTC)
    hour_ago, in_an_hour = (now - timedelta(hours=1)).isoformat(), (now + timedelta(hours=1))
    assert len(await entries(since=hour_ago, until=in_an_hour.isoformat())) == len(await entries())
    assert await entries(since=in_an_hour.isoformat()) == []
    assert await entries(agency_id="riverton-primary-school") == []


async def test_paging_is_bounded_and_complete(intake: ServiceHarness) -> None:
    await _trail_with_reads(intake)
    everything = (await intake.call("auditor", "GET", "/v1/audit")).json()["items"]
    seen, before = [], None
    while True:
        params = {"limit": "2", **({"before_id": str(before)} if before else {})}
        page = (await intake.call("auditor", "GET", "/v1/audit", params=params)).json()
        assert len(page["items"]) <= 2
        seen += page["items"]
        if (before := page["next_before_id"]) is None:
            break
    assert [e["id"] for e in seen] == [e["id"] for e in everything]
    too_big = await intake.call("auditor", "GET", "/v1/audit", params={"limit": "201"})
    assert too_big.status_code == 422


async def test_csv_export_matches_the_list_and_holds_no_content(intake: ServiceHarness) -> None:
    codes = await _trail_with_reads(intake)
    response = await intake.call(
        "auditor", "GET", "/v1/audit.csv", params={"case_code": codes["case_code"]}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    listed = (
        await intake.call("auditor", "GET", "/v1/audit", params={"case_code": codes["case_code"]})
    ).json()["items"]
    assert [int(row["id"]) for row in rows] == [e["id"] for e in listed]
    reads = [row for row in rows if row["action"] == "identity.read"]
    assert {row["purpose"] for row in reads} == {"documentation", "case-review"}
    assert {row["fields"] for row in reads} == {
        "address;date_of_birth;full_name;national_id;phone;place_of_birth"
    }
    assert codes["other_code"] not in response.text
    for secret in FAMILY_SECRETS:
        assert secret not in response.text
    paged = await intake.call("auditor", "GET", "/v1/audit.csv", params={"limit": "1"})
    assert len(list(csv.DictReader(io.StringIO(paged.text)))) == 1
    assert int(paged.headers["X-Next-Before-Id"]) >= 1


async def test_audit_is_for_auditors_only(intake: ServiceHarness) -> None:
    for path in ("/v1/audit", "/v1/audit.csv"):
        assert (await intake.http.get(path)).status_code == 401
        for user in (OWNER, "supervisor.riverton", "school.riverton", "admin"):
            response = await intake.call(user, "GET", path)
            assert response.status_code == 403, (user, path)
            assert response.headers["content-type"].startswith("application/problem+json")


async def test_bad_filters_are_problems(intake: ServiceHarness) -> None:
    now = datetime.now(UTC)
    for params in (
        {"since": now.isoformat(), "until": (now - timedelta(days=1)).isoformat()},
        {"since": "2025-03-01T00:00:00"},
        {"since": "yesterday"},
        {"before_id": "0"},
        {"actor": "x" * 301},
    ):
        for path in ("/v1/audit", "/v1/audit.csv"):
            response = await intake.call("auditor", "GET", path, params=params)
            assert response.status_code == 422, (params, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
