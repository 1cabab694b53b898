"""Cases and persons through the API: registration, listing, reading, guardians, bad input."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import select

from homeward.common.codes import CASE_CODE_PATTERN, PERSON_CODE_PATTERN
from homeward.common.db import utcnow
from homeward.common.events import OutboxRecord
from homeward.common.testing.apps import ServiceHarness
from homeward.intake.adapters.tables import CaseRow, PersonRow
from tests.intake.intake_helpers import FAMILY_SECRETS, family

COORDINATOR = "coordinator.riverton"


async def register(intake: ServiceHarness, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await intake.call(COORDINATOR, "POST", "/v1/cases", json=body or family())
    assert response.status_code == 201, response.text
    return response.json()


async def counts(intake: ServiceHarness) -> tuple[int, int, int]:
    async with intake.database.session() as session:
        cases = (await session.exec(select(func.count()).select_from(CaseRow))).one()
        persons = (await session.exec(select(func.count()).select_from(PersonRow))).one()
        events = (await session.exec(select(func.count()).select_from(OutboxRecord))).one()
    return cases, persons, events


async def test_register_a_family_with_its_persons(intake: ServiceHarness) -> None:
    case = await register(intake)
    assert CASE_CODE_PATTERN.match(case["code"])
    assert case["municipality"] == "riverton"
    assert case["status"] == "open"
    assert case["coordinator"] == COORDINATOR
    mother, child_1, child_2 = case["persons"]
    assert [p["age_group"] for p in case["persons"]] == ["adult", "child", "child"]
    assert child_1["guardian_id"] == mother["id"] and child_2["guardian_id"] == mother["id"]
    assert all(PERSON_CODE_PATTERN.match(p["code"]) and p["has_identity"] for p in case["persons"])
    assert not any(secret in str(case) for secret in FAMILY_SECRETS)
    types = [m.header("ce_type") for m in await _published(intake, 4)]
    assert types[0] == b"homeward.case.registered.v1"
    assert types.count(b"homeward.person.added.v1") == 3


async def _published(intake: ServiceHarness, at_least: int) -> list[Any]:
    import asyncio

    for _ in range(100):
        messages = intake.broker.messages("homeward.intake.cases")
        if len(messages) >= at_least:
            return messages
        await asyncio.sleep(0.05)
    raise AssertionError("the relay did not publish the staged events")


async def test_list_read_and_filter_cases(intake: ServiceHarness) -> None:
    first = await register(intake)
    await register(intake, family(placement="receiving-family", persons=[]))
    page = (await intake.call(COORDINATOR, "GET", "/v1/cases?limit=1")).json()
    assert page["total"] == 2 and len(page["items"]) == 1 and page["next_offset"] == 1
    assert "persons" not in page["items"][0]
    filtered = (
        await intake.call(COORDINATOR, "GET", "/v1/cases?placement=receiving-family")
    ).json()
    assert [c["placement"] for c in filtered["items"]] == ["receiving-family"]
    other = (await intake.call(COORDINATOR, "GET", "/v1/cases?municipality=lakeside")).json()
    assert other["total"] == 0
    read = (await intake.call(COORDINATOR, "GET", f"/v1/cases/{first['id']}")).json()
    assert read["code"] == first["code"] and len(read["persons"]) == 3
    huge = await intake.call(COORDINATOR, "GET", "/v1/cases?limit=100000")
    assert huge.status_code == 200  # clamped to the configured maximum page size


async def test_add_person_assign_and_close(intake: ServiceHarness) -> None:
    case = await register(intake)
    mother_id = case["persons"][0]["id"]
    added = await intake.call(
        COORDINATOR,
        "POST",
        f"/v1/cases/{case['id']}/persons",
        json={"household_role": "child", "birth_year": 2021, "guardian_person_id": mother_id},
    )
    assert added.status_code == 201, added.text
    assert added.json()["age_group"] == "child" and added.json()["has_identity"] is False
    assigned = await intake.call(
        COORDINATOR,
        "PUT",
        f"/v1/cases/{case['id']}/coordinator",
        json={"coordinator": "coordinator.riverton.2"},
    )
    assert assigned.json()["coordinator"] == "coordinator.riverton.2"
    by_coordinator = await intake.call(
        COORDINATOR, "POST", f"/v1/cases/{case['id']}/close", json={"reason": "other"}
    )
    assert by_coordinator.status_code == 403  # a supervisor decides closures
    closed = await intake.call(
        "supervisor.riverton", "POST", f"/v1/cases/{case['id']}/close",
        json={"reason": "reintegration-completed"},
    )  # fmt: skip
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    again = await intake.call(
        "supervisor.riverton", "POST", f"/v1/cases/{case['id']}/close", json={"reason": "other"}
    )
    assert again.status_code == 409 and "closed" in again.json()["detail"]


def _child(**overrides: Any) -> dict[str, Any]:
    person = {"household_role": "child", "birth_year": 2016, "guardian_ref": "mother"}
    return {**person, **overrides}


MOTHER = {"ref": "mother", "household_role": "mother", "birth_year": 1994, "sex": "female"}


async def test_bad_registrations_are_refused_and_write_nothing(intake: ServiceHarness) -> None:
    next_year = utcnow().year + 1
    bad_bodies = {
        "birth year in the future": family(persons=[{**MOTHER, "birth_year": next_year}]),
        "birth year before 1900": family(persons=[{**MOTHER, "birth_year": 1899}]),
        "child without guardian": family(persons=[MOTHER, _child(guardian_ref=None)]),
        "guardian who is a child": family(
            persons=[MOTHER, _child(ref="older"), _child(guardian_ref="older")]
        ),
        "guardian not in the case": family(persons=[MOTHER, _child(guardian_ref="stranger")]),
        "unknown placement": family(placement="hotel"),
        "unknown field": family(nickname="x"),
        "identity birth date in another year": family(
            persons=[{**MOTHER, "identity": {"full_name": "X Y", "date_of_birth": "1990-01-01"}}]
        ),
    }
    for label, body in bad_bodies.items():
        response = await intake.call(COORDINATOR, "POST", "/v1/cases", json=body)
        assert response.status_code == 422, (label, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"], label
    assert await counts(intake) == (0, 0, 0)


async def test_guardian_from_another_case_is_refused(intake: ServiceHarness) -> None:
    first = await register(intake)
    second = await register(intake, family(persons=[MOTHER]))
    before = await counts(intake)
    response = await intake.call(
        COORDINATOR,
        "POST",
        f"/v1/cases/{second['id']}/persons",
        json=_child(guardian_ref=None, guardian_person_id=first["persons"][0]["id"]),
    )
    assert response.status_code == 422
    assert "same case" in response.json()["detail"]
    assert await counts(intake) == before
