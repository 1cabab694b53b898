"""Records through the API after intake announces persons: defaults, transitions, history,
protected fields, readiness events, and bad input that writes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import select

from homeward.common.events import OutboxRecord
from homeward.documents.adapters.tables import RecordChangeRow, RecordRow
from tests.documents.conftest import DocumentsHarness
from tests.documents.helpers import (
    OFFICER,
    days_from_today,
    eventually,
    issued_body,
    person_added,
    published,
)

READINESS = "homeward.readiness.changed.v1"


async def announce(documents: DocumentsHarness, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
    """Publish PersonAdded and wait until documents knows the person; returns their records."""
    person = person_added(**kwargs)
    await documents.publish(person)
    path = f"/v1/persons/{person.person_id}/records"
    latest: dict[str, Any] = {}

    async def known() -> bool:
        response = await documents.call(OFFICER, "GET", path)
        latest.update(response.json() if response.status_code == 200 else {})
        return response.status_code == 200

    await eventually(known)
    return person, {r["document_type"]: r for r in latest["records"]}


async def test_a_child_starts_with_missing_birth_certificate_and_readiness(
    documents: DocumentsHarness,
) -> None:
    person, records = await announce(documents, age_group="child")
    assert set(records) == {"birth-certificate", "citizenship-confirmation"}
    assert {r["status"] for r in records.values()} == {"missing"}
    await eventually(lambda: _count(documents, READINESS, 1))
    (readiness,) = published(documents.broker, READINESS)
    assert readiness["person_id"] == str(person.person_id)
    assert "school-enrolment" in readiness["missing"]
    assert "basic-needs" in readiness["ready_categories"]


async def test_an_adult_starts_with_national_id_and_residence_registration(
    documents: DocumentsHarness,
) -> None:
    _, records = await announce(documents, age_group="adult")
    assert set(records) == {"national-id", "residence-registration"}


async def test_the_same_person_announced_twice_changes_nothing(
    documents: DocumentsHarness,
) -> None:
    person, _ = await announce(documents)
    await documents.publish(person)  # a new event id: the inbox does not know it
    await documents.publish(person_added())  # a marker: once it is handled, so is the repeat
    await eventually(lambda: _count(documents, READINESS, 2))
    async with documents.database.sessions() as session:
        count = await session.exec(
            select(func.count()).select_from(RecordRow)
            .where(RecordRow.person_id == str(person.person_id))
        )  # fmt: skip
        assert count.one() == 2


async def test_issuing_makes_the_person_ready_and_readiness_is_emitted_only_on_change(
    documents: DocumentsHarness,
) -> None:
    _person, records = await announce(documents)
    record_id = records["birth-certificate"]["id"]
    await eventually(lambda: _count(documents, READINESS, 1))

    response = await documents.call(OFFICER, "POST", f"/v1/records/{record_id}/status",
                                    json=issued_body(), headers=PURPOSE)  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "issued"
    assert body["reference_number"] == "BC-2025-0099817"
    assert [(c["from_status"], c["to_status"]) for c in body["history"]] == [
        (None, "missing"),
        ("missing", "issued"),
    ]
    await eventually(lambda: _count(documents, READINESS, 2))
    latest = published(documents.broker, READINESS)[-1]
    assert "school-enrolment" in latest["ready_categories"]

    # A detail that does not change readiness emits no readiness event.
    detail = {"issuing_authority": "Riverton registry office"}
    response = await documents.call(OFFICER, "PATCH", f"/v1/records/{record_id}", json=detail)
    assert response.status_code == 200
    await eventually(lambda: _count(documents, "homeward.document_record.status_changed.v1", 1))
    assert len(published(documents.broker, READINESS)) == 2


async def test_reference_numbers_are_sealed_at_rest_and_never_on_the_bus(
    documents: DocumentsHarness,
) -> None:
    _, records = await announce(documents)
    record_id = records["birth-certificate"]["id"]
    response = await documents.call(OFFICER, "POST", f"/v1/records/{record_id}/status",
                                    json=issued_body())  # fmt: skip
    assert response.status_code == 200
    async with documents.database.sessions() as session:
        row = await session.get(RecordRow, record_id)
        assert row is not None and b"BC-2025-0099817" not in row.reference_number_sealed
        outbox = (await session.exec(select(OutboxRecord))).all()
        assert outbox and all("BC-2025" not in str(event.data) for event in outbox)


async def test_protected_fields_by_role(documents: DocumentsHarness) -> None:
    _person, records = await announce(documents)
    record_id = records["birth-certificate"]["id"]
    await documents.call(OFFICER, "PATCH", f"/v1/records/{record_id}",
                         json={"blocker_description": "registry asks for the mother's ID first",
                               "reference_number": "REQ-77"})  # fmt: skip
    seen = {}
    for user in ("documents.riverton", "coordinator.riverton", "supervisor.riverton"):
        response = await documents.call(user, "GET", f"/v1/records/{record_id}", headers=PURPOSE)
        assert response.status_code == 200
        seen[user] = response.json()
    assert seen["documents.riverton"]["reference_number"] == "REQ-77"
    assert seen["coordinator.riverton"]["reference_number"] is None
    assert seen["coordinator.riverton"]["has_reference_number"] is True
    assert seen["coordinator.riverton"]["blocker_description"].startswith("registry asks")
    assert seen["supervisor.riverton"]["blocker_description"] is None


PURPOSE = {"X-Purpose": "documentation"}


async def test_a_reference_number_is_read_only_with_a_stated_purpose_audited_with_it(
    documents: DocumentsHarness,
) -> None:
    _person, records = await announce(documents)
    record_id = records["birth-certificate"]["id"]
    await documents.call(OFFICER, "PATCH", f"/v1/records/{record_id}",
                         json={"reference_number": "REQ-77"})  # fmt: skip
    path = f"/v1/records/{record_id}"

    unstated = (await documents.call(OFFICER, "GET", path)).json()
    assert unstated["reference_number"] is None and unstated["has_reference_number"] is True
    listed = await documents.call(OFFICER, "GET", f"/v1/persons/{_person.person_id}/records")
    assert all(r["reference_number"] is None for r in listed.json()["records"])

    stated = await documents.call(OFFICER, "GET", path, headers={"X-Purpose": "documentation"})
    assert stated.json()["reference_number"] == "REQ-77"
    by_query = await documents.call(OFFICER, "GET", path, params={"purpose": "legal-proceedings"})
    assert by_query.json()["reference_number"] == "REQ-77"
    refused = await documents.call(OFFICER, "GET", path, headers={"X-Purpose": "curiosity"})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"

    audit = await documents.call("auditor", "GET", "/v1/audit")
    reads = [
        e for e in audit.json()["items"]
        if e["action"] == "document_record.protected_read" and "reference_number" in e["fields"]
    ]  # fmt: skip
    assert [e["purpose"] for e in reads] == ["legal-proceedings", "documentation"]  # newest first


async def test_bad_input_is_422_and_writes_nothing(documents: DocumentsHarness) -> None:
    person, records = await announce(documents)
    record_id = records["birth-certificate"]["id"]
    ok = await documents.call(OFFICER, "POST", f"/v1/records/{record_id}/status",
                              json=issued_body())  # fmt: skip
    assert ok.status_code == 200
    before = await _state(documents)
    bad = [
        ("POST", f"/v1/records/{record_id}/status", {"to_status": "missing"}),
        ("PATCH", f"/v1/records/{record_id}", {"expiry_on": days_from_today(-10).isoformat()}),
        ("POST", f"/v1/persons/{person.person_id}/records", {"document_type": "tax-card"}),
        ("POST", f"/v1/persons/{person.person_id}/records", {"document_type": "passport",
                                                              "colour": "blue"}),
        ("POST", f"/v1/records/{record_id}/status", {"to_status": "lost"}),
    ]  # fmt: skip
    for method, path, body in bad:
        response = await documents.call(OFFICER, method, path, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    # Issued without an issue date, and an expiry before the issue date, on a fresh record.
    other = records["citizenship-confirmation"]["id"]
    for body in ({"to_status": "issued"},
                 issued_body(issued_on=days_from_today(-5).isoformat(),
                             expiry_on=days_from_today(-30).isoformat())):  # fmt: skip
        response = await documents.call(OFFICER, "POST", f"/v1/records/{other}/status", json=body)
        assert response.status_code == 422, response.text
    assert await _state(documents) == before


async def test_illegal_transition_is_409_with_the_allowed_states(
    documents: DocumentsHarness,
) -> None:
    _, records = await announce(documents)
    record_id = records["birth-certificate"]["id"]
    response = await documents.call(OFFICER, "POST", f"/v1/records/{record_id}/status",
                                    json={"to_status": "expired"})  # fmt: skip
    assert response.status_code == 409
    assert "requested" in response.json()["allowed_next_states"]


async def test_back_to_missing_with_a_reason_is_kept_in_history(
    documents: DocumentsHarness,
) -> None:
    _, records = await announce(documents)
    record_id = records["birth-certificate"]["id"]
    await documents.call(OFFICER, "POST", f"/v1/records/{record_id}/status", json=issued_body())
    response = await documents.call(OFFICER, "POST", f"/v1/records/{record_id}/status",
                                    json={"to_status": "missing",
                                          "reason": "certificate found to be forged"})  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["issued_on"] is None
    assert body["history"][-1]["reason"] == "certificate found to be forged"


async def test_a_second_record_of_the_same_type_is_409(documents: DocumentsHarness) -> None:
    person, _ = await announce(documents)
    path = f"/v1/persons/{person.person_id}/records"
    created = await documents.call(OFFICER, "POST", path, json={"document_type": "passport"})
    assert created.status_code == 201, created.text
    again = await documents.call(OFFICER, "POST", path, json={"document_type": "passport"})
    assert again.status_code == 409


async def _count(documents: DocumentsHarness, event_type: str, at_least: int) -> bool:
    return len(published(documents.broker, event_type)) >= at_least


async def _state(documents: DocumentsHarness) -> tuple[int, int, list[str]]:
    async with documents.database.sessions() as session:
        changes = (await session.exec(select(func.count()).select_from(RecordChangeRow))).one()
        outbox = (await session.exec(select(func.count()).select_from(OutboxRecord))).one()
        statuses = sorted((await session.exec(select(RecordRow.status))).all())
    return changes, outbox, statuses
