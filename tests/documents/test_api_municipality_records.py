"""The municipality's records, for the console's "documents expiring" card and the civil
registry's expiry warnings: issued documents expiring within N days, soonest first; no
protected field; staff of the municipality only."""

from __future__ import annotations

from typing import Any

from tests.documents.conftest import DocumentsHarness
from tests.documents.helpers import OFFICER, days_from_today, issued_body
from tests.documents.test_api_records import announce

COORDINATOR = "coordinator.riverton"


async def issue(documents: DocumentsHarness, record: dict[str, Any], expires_in: int) -> None:
    body = issued_body(expiry_on=days_from_today(expires_in).isoformat())
    response = await documents.call(OFFICER, "POST", f"/v1/records/{record['id']}/status",
                                    json=body)  # fmt: skip
    assert response.status_code == 200, response.text


async def listed(documents: DocumentsHarness, user: str, **params: Any) -> list[dict[str, Any]]:
    response = await documents.call(user, "GET", "/v1/records", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_issued_documents_expiring_soon_come_soonest_first(
    documents: DocumentsHarness,
) -> None:
    mother, records = await announce(documents, age_group="adult")
    child, child_records = await announce(documents, age_group="child")
    passport, *_ = records.values()
    certificate = child_records["birth-certificate"]
    await issue(documents, passport, expires_in=20)
    await issue(documents, certificate, expires_in=5)

    soon = await listed(documents, COORDINATOR, expiring_within_days=30)
    assert [r["id"] for r in soon] == [certificate["id"], passport["id"]]
    assert soon[0]["person_code"] == child.person_code
    assert soon[0]["expiry_on"] == days_from_today(5).isoformat()
    assert "reference_number" not in soon[0]  # nothing protected in a list
    assert [r["id"] for r in await listed(documents, OFFICER, expiring_within_days=10)] == [
        certificate["id"]
    ]
    issued = await listed(documents, "supervisor.riverton", status="issued")
    assert {r["id"] for r in issued} == {certificate["id"], passport["id"]}
    assert len(await listed(documents, COORDINATOR)) == len(records) + len(child_records)
    assert await listed(documents, "coordinator.lakeside", expiring_within_days=30) == []
    assert mother.person_code != child.person_code


async def test_only_staff_list_records_and_bad_filters_are_422(
    documents: DocumentsHarness,
) -> None:
    await announce(documents)
    for user in ("school.riverton", "auditor", "admin"):
        response = await documents.call(user, "GET", "/v1/records")
        assert response.status_code == 403, user
    assert (await documents.http.get("/v1/records")).status_code == 401
    for params in ({"expiring_within_days": -1}, {"expiring_within_days": 400},
                   {"status": "lost"}, {"limit": 0}):  # fmt: skip
        response = await documents.call(COORDINATOR, "GET", "/v1/records", params=params)
        assert response.status_code == 422, params
