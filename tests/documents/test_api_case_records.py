"""A case's documentation history in one read (the family page's timeline): who may read it,
what it holds (status changes, tasks raised and closed), what it never holds (reference
numbers, blockers, reasons, actors), and that its queries do not grow with the family."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from tests.documents.conftest import DocumentsHarness
from tests.documents.helpers import OFFICER, eventually, issued_body, person_added, referral_blocked
from tests.documents.test_api_records import announce

REFERENCE = issued_body()["reference_number"]
BLOCKER = "the registry in Riverton asks for the hospital's discharge letter"


def path(case_id: Any) -> str:
    return f"/v1/cases/{case_id}/records"


async def family_with_history(documents: DocumentsHarness) -> tuple[Any, Any, dict[str, Any]]:
    """A child and her mother; the child's birth certificate blocked a school referral (a
    task), then was issued (the task closed); the mother's ID was given a blocker."""
    child, records = await announce(documents, age_group="child")
    mother = person_added(case_id=child.case_id, age_group="adult")
    await documents.publish(mother)
    await documents.publish(referral_blocked(child))

    async def raised() -> bool:
        response = await documents.call(OFFICER, "GET", "/v1/tasks")
        return response.json()["total"] == 1

    await eventually(raised)

    async def mother_known() -> bool:
        response = await documents.call(OFFICER, "GET", f"/v1/persons/{mother.person_id}/records")
        return response.status_code == 200

    await eventually(mother_known)
    birth = records["birth-certificate"]["id"]
    issued = await documents.call(OFFICER, "POST", f"/v1/records/{birth}/status",
                                  json=issued_body())  # fmt: skip
    assert issued.status_code == 200, issued.text
    mothers = await documents.call(OFFICER, "GET", f"/v1/persons/{mother.person_id}/records")
    national_id = next(r for r in mothers.json()["records"] if r["document_type"] == "national-id")
    blocked = await documents.call(OFFICER, "PATCH", f"/v1/records/{national_id['id']}",
                                   json={"blocker_description": BLOCKER})  # fmt: skip
    assert blocked.status_code == 200, blocked.text
    return child, mother, records


async def test_the_case_history_has_each_records_status_changes_and_the_tasks(
    documents: DocumentsHarness,
) -> None:
    child, mother, records = await family_with_history(documents)
    response = await documents.call("coordinator.riverton", "GET", path(child.case_id))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["case_id"], body["case_code"]) == (str(child.case_id), child.case_code)
    persons = {p["person_code"]: p for p in body["persons"]}
    assert set(persons) == {child.person_code, mother.person_code}
    child_records = {r["document_type"]: r for r in persons[child.person_code]["records"]}
    assert set(child_records) == {"birth-certificate", "citizenship-confirmation"}
    birth = child_records["birth-certificate"]
    assert birth["id"] == records["birth-certificate"]["id"]
    assert (birth["status"], birth["issued_on"]) == ("issued", issued_body()["issued_on"])
    assert [(c["from_status"], c["to_status"]) for c in birth["changes"]] == [
        (None, "missing"),
        ("missing", "issued"),
    ]
    assert birth["changes"][0]["at"] <= birth["changes"][1]["at"]
    mother_records = {r["document_type"] for r in persons[mother.person_code]["records"]}
    assert mother_records == {"national-id", "residence-registration"}
    (task,) = body["tasks"]
    assert (task["person_code"], task["service_category"]) == (child.person_code,
                                                              "school-enrolment")  # fmt: skip
    assert (task["status"], task["closed_because"]) == ("closed", "documents-issued")
    assert task["raised_at"] <= task["closed_at"]
    # Nothing a purpose or a protected-field audit would be needed for, not even to an officer.
    officers = await documents.call(OFFICER, "GET", path(child.case_id))
    for text in (response.text, officers.text):
        assert REFERENCE not in text and BLOCKER not in text
        assert "reference_number" not in text and "actor" not in text


async def test_who_may_read_a_case_history(documents: DocumentsHarness) -> None:
    child, _, _ = await family_with_history(documents)
    answers = {
        user: (await documents.call(user, "GET", path(child.case_id))).status_code
        for user in ("coordinator.riverton", "supervisor.riverton", OFFICER,
                     "coordinator.lakeside", "documents.lakeside", "school.riverton", "admin")
    }  # fmt: skip
    assert answers == {
        "coordinator.riverton": 200,
        "supervisor.riverton": 200,
        OFFICER: 200,
        "coordinator.lakeside": 404,  # another municipality's case looks like no case
        "documents.lakeside": 404,
        "school.riverton": 403,  # partners read readiness only
        "admin": 403,
    }
    unknown = await documents.call("coordinator.riverton", "GET", path(person_added().case_id))
    other = await documents.call("coordinator.lakeside", "GET", path(child.case_id))
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == other.json()["detail"]
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert (await documents.http.get(path(child.case_id))).status_code == 401
    # No token is 401 before anything else, even for a case nobody has.
    assert (await documents.http.get(path(person_added().case_id))).status_code == 401


async def test_the_case_history_takes_the_same_queries_for_a_bigger_family(
    documents: DocumentsHarness,
) -> None:
    child, _, _ = await family_with_history(documents)
    small = await _queries_of(documents, path(child.case_id))
    for _ in range(3):
        await documents.publish(person_added(case_id=child.case_id))
    await eventually(lambda: _persons(documents, child.case_id, 5))
    assert small == 4  # persons, records, status changes, tasks
    assert await _queries_of(documents, path(child.case_id)) == small


async def test_the_case_readiness_takes_the_same_queries_for_a_bigger_family(
    documents: DocumentsHarness,
) -> None:
    """The family page reads it on every view: one query for the records, not one a person."""
    child, _, _ = await family_with_history(documents)
    url = f"/v1/cases/{child.case_id}/readiness"
    small = await _queries_of(documents, url)
    for _ in range(3):
        await documents.publish(person_added(case_id=child.case_id))
    await eventually(lambda: _persons(documents, child.case_id, 5))
    assert small == 2  # persons, records
    assert await _queries_of(documents, url) == small


async def _persons(documents: DocumentsHarness, case_id: Any, count: int) -> bool:
    response = await documents.call("coordinator.riverton", "GET", path(case_id))
    return len(response.json()["persons"]) == count


async def _queries_of(documents: DocumentsHarness, url: str) -> int:
    """The read's SELECTs of the documents tables (the outbox relay polls meanwhile, and a
    new connection's set-up, e.g. SQLite's PRAGMAs, is not the read's)."""
    statements: list[str] = []

    def count(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().startswith("SELECT documents_"):
            statements.append(statement)

    engine = documents.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = await documents.call("coordinator.riverton", "GET", url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.text
    return len(statements)
