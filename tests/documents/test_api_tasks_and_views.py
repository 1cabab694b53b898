"""Documentation tasks from blocked referrals, the partner's readiness view, transfers,
erasure, the expiry check and the suppressed overview."""

from __future__ import annotations

import uuid
from datetime import timedelta

from homeward.common.contracts.intake import CaseIdentitiesErased, CaseTransferred
from homeward.common.db import utcnow
from homeward.common.events import InMemoryBroker
from homeward.documents.app import create_app
from homeward.documents.handlers.expiry import ExpiryCheck, run_expiry_check
from homeward.documents.settings import DocumentsSettings
from tests.documents.conftest import DocumentsHarness
from tests.documents.helpers import (
    OFFICER,
    days_from_today,
    eventually,
    issued_body,
    now,
    published,
    referral_blocked,
    referral_sent,
    referral_unblocked,
)
from tests.documents.test_api_records import announce


async def open_tasks(documents: DocumentsHarness, user: str = OFFICER) -> list[dict]:
    response = await documents.call(user, "GET", "/v1/tasks")
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_a_blocked_referral_raises_a_task_that_closes_when_documents_are_issued(
    documents: DocumentsHarness,
) -> None:
    person, records = await announce(documents)
    blocked = referral_blocked(person)
    await documents.publish(blocked)

    async def raised() -> bool:
        return len(await open_tasks(documents)) == 1

    await eventually(raised)
    (task,) = await open_tasks(documents)
    assert task["person_code"] == person.person_code
    assert task["needed"] == [["birth-certificate"]]
    assert await open_tasks(documents, "documents.lakeside") == []

    await documents.publish(blocked)  # redelivered under a new id: still one task
    record_id = records["birth-certificate"]["id"]
    response = await documents.call(OFFICER, "POST", f"/v1/records/{record_id}/status",
                                    json=issued_body())  # fmt: skip
    assert response.status_code == 200
    assert await open_tasks(documents) == []
    closed = published(documents.broker, "homeward.documentation_task.closed.v1")
    await eventually(lambda: _nonempty(documents, "homeward.documentation_task.closed.v1"))
    closed = published(documents.broker, "homeward.documentation_task.closed.v1")
    assert closed[0]["closed_because"] == "documents-issued"
    assert len(published(documents.broker, "homeward.documentation_task.raised.v1")) == 1


async def test_an_unblocked_referral_closes_its_task(documents: DocumentsHarness) -> None:
    person, _ = await announce(documents)
    blocked = referral_blocked(person)
    await documents.publish(blocked, referral_unblocked(blocked))
    await eventually(lambda: _nonempty(documents, "homeward.documentation_task.closed.v1"))
    assert await open_tasks(documents) == []


async def test_partners_see_ready_or_not_for_their_referred_categories_only(
    documents: DocumentsHarness,
) -> None:
    person, _records = await announce(documents)
    path = f"/v1/persons/{person.person_id}/readiness"
    assert (await documents.call("school.riverton", "GET", path)).status_code == 404
    blocked = referral_blocked(person)
    await documents.publish(referral_sent(blocked, person), blocked)  # task raised: both read
    await eventually(lambda: _nonempty(documents, "homeward.documentation_task.raised.v1"))
    response = await documents.call("school.riverton", "GET", path)
    assert response.status_code == 200
    assert response.json() == {"person_id": str(person.person_id),
                               "ready": {"school-enrolment": False}}  # fmt: skip
    assert (await documents.call("police.riverton", "GET", path)).status_code == 404
    records_path = f"/v1/persons/{person.person_id}/records"
    assert (await documents.call("school.riverton", "GET", records_path)).status_code == 403
    full = await documents.call("coordinator.riverton", "GET", path)
    assert full.json()["missing"]["school-enrolment"] == [["birth-certificate",
                                                            "guardianship-order"]]  # fmt: skip


async def test_a_transferred_case_moves_with_its_open_tasks(documents: DocumentsHarness) -> None:
    person, _ = await announce(documents)
    await documents.publish(referral_blocked(person))
    await eventually(lambda: _nonempty(documents, "homeward.documentation_task.raised.v1"))
    await documents.publish(CaseTransferred(
        transfer_id=uuid.uuid4(), case_id=person.case_id, case_code=person.case_code,
        from_municipality="riverton", to_municipality="Lakeside", transferred_at=now(),
    ))  # fmt: skip
    path = f"/v1/persons/{person.person_id}/records"

    async def moved() -> bool:
        return (await documents.call("documents.lakeside", "GET", path)).status_code == 200

    await eventually(moved)
    assert (await documents.call(OFFICER, "GET", path)).status_code == 404
    assert len(await open_tasks(documents, "documents.lakeside")) == 1


async def test_erasure_makes_reference_numbers_unreadable(documents: DocumentsHarness) -> None:
    person, records = await announce(documents)
    record_id = records["birth-certificate"]["id"]
    await documents.call(OFFICER, "POST", f"/v1/records/{record_id}/status", json=issued_body())
    await documents.publish(CaseIdentitiesErased(
        case_id=person.case_id, case_code=person.case_code, municipality="riverton",
        erased_at=now(),
    ))  # fmt: skip

    async def erased() -> bool:
        body = (await documents.call(OFFICER, "GET", f"/v1/records/{record_id}")).json()
        return body["protected_erased"] and body["reference_number"] is None

    await eventually(erased)
    response = await documents.call(OFFICER, "PATCH", f"/v1/records/{record_id}",
                                    json={"reference_number": "NEW-1"})  # fmt: skip
    assert response.status_code == 410  # as intake answers for the case's identities
    assert response.headers["content-type"] == "application/problem+json"
    # The documentation itself still matters: its status moves on without protected details.
    expired = await documents.call(OFFICER, "POST", f"/v1/records/{record_id}/status",
                                   json={"to_status": "expired"})  # fmt: skip
    assert expired.status_code == 200, expired.text


async def test_expiry_check_warns_then_expires_once_and_readiness_follows(
    documents: DocumentsHarness,
) -> None:
    _person, records = await announce(documents)
    record_id = records["birth-certificate"]["id"]
    await documents.call(OFFICER, "POST", f"/v1/records/{record_id}/status",
                         json=issued_body(expiry_on=days_from_today(10).isoformat()))  # fmt: skip
    catalogue, today = documents.app.state.catalogue, utcnow().date()
    check = {"catalogue": catalogue, "warning_days": 30}
    first = await run_expiry_check(documents.database, today=today, **check)
    again = await run_expiry_check(documents.database, today=today, **check)
    assert (first.warned, again.warned) == (1, 0)
    later = today + timedelta(days=11)
    # Two replicas racing over the same due record: only one expires it.
    import asyncio

    results = await asyncio.gather(
        run_expiry_check(documents.database, today=later, **check),
        run_expiry_check(documents.database, today=later, **check),
    )
    assert sum(report.expired for report in results) == 1
    body = (await documents.call(OFFICER, "GET", f"/v1/records/{record_id}")).json()
    assert body["status"] == "expired"
    await eventually(lambda: _nonempty(documents, "homeward.document_record.expired.v1"))
    assert len(published(documents.broker, "homeward.document_record.expiry_warned.v1")) == 1


async def test_the_expiry_check_runs_next_to_the_api_when_enabled(
    documents: DocumentsHarness, database_url: str
) -> None:
    def background(enabled: bool) -> list[object]:
        settings = DocumentsSettings(database_url=database_url, expiry_check_enabled=enabled)
        app = create_app(settings, broker=InMemoryBroker(), database=documents.database,
                         token_validator=documents.idp.validator())  # fmt: skip
        return list(app.state.parts.background)

    assert background(False) == []
    (check,) = background(True)
    assert isinstance(check, ExpiryCheck)
    _person, records = await announce(documents)
    record_id = records["birth-certificate"]["id"]
    await documents.call(OFFICER, "POST", f"/v1/records/{record_id}/status",
                         json=issued_body(expiry_on=days_from_today(10).isoformat()))  # fmt: skip
    running = ExpiryCheck(documents.database, catalogue=documents.app.state.catalogue,
                          interval_s=0.05, warning_days=30)  # fmt: skip
    await running.start()
    try:
        await eventually(lambda: _nonempty(documents, "homeward.document_record.expiry_warned.v1"))
    finally:
        await running.stop()


async def test_the_overview_suppresses_small_counts(documents: DocumentsHarness) -> None:
    persons = [await announce(documents) for _ in range(5)]
    for person, _ in persons[:2]:
        await documents.publish(referral_blocked(person))
    await eventually(lambda: _count(documents, "homeward.documentation_task.raised.v1", 2))
    response = await documents.call("supervisor.riverton", "GET", "/v1/overview")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["persons"] == 5
    assert body["not_ready_by_category"]["school-enrolment"] == 5
    assert body["blocked_referrals_by_category"]["school-enrolment"] == "<5"
    assert body["median_days_requested_to_issued"]["birth-certificate"] is None
    lakeside = await documents.call("supervisor.lakeside", "GET", "/v1/overview")
    assert lakeside.json()["persons"] == "<5"


async def _nonempty(documents: DocumentsHarness, event_type: str) -> bool:
    return bool(published(documents.broker, event_type))


async def _count(documents: DocumentsHarness, event_type: str, at_least: int) -> bool:
    return len(published(documents.broker, event_type)) >= at_least
