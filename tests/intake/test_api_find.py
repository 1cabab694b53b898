"""The console's find box on intake: a case or person code typed any way answers the case
the caller may see; anything else, names included, finds nothing."""

from __future__ import annotations

from typing import Any

import pytest

from homeward.common.testing.apps import ServiceHarness
from tests.intake.intake_helpers import family

OWNER = "coordinator.riverton"
# Latin letters that have Cyrillic twins, and those twins (a Russian keyboard types them).
TWINS = str.maketrans(
    "ABEKMHOPCTX", "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425"
)


async def registered(intake: ServiceHarness) -> dict[str, Any]:
    response = await intake.call(OWNER, "POST", "/v1/cases", json=family())
    assert response.status_code == 201, response.text
    return response.json()


async def find(intake: ServiceHarness, user: str, typed: str) -> Any:
    return await intake.call(user, "GET", f"/v1/cases/by-code/{typed}")


@pytest.mark.parametrize(
    "typing",
    [
        str,
        str.lower,
        lambda code: code.replace("-", ""),
        lambda code: code.lower().replace("-", " "),
        lambda code: code.translate(TWINS),
        lambda code: code.translate(TWINS).lower().replace("-", ""),
    ],
    ids=["as-printed", "lower", "no-hyphens", "spaces", "cyrillic-twins", "cyrillic-lower"],
)
async def test_a_case_code_typed_any_way_finds_the_case(
    intake: ServiceHarness, typing: Any
) -> None:
    case = await registered(intake)
    await registered(intake)  # another case, which must not be answered

    response = await find(intake, OWNER, typing(case["code"]))

    assert response.status_code == 200, response.text
    assert response.json()["id"] == case["id"]
    assert [p["code"] for p in response.json()["persons"]] == [p["code"] for p in case["persons"]]


async def test_a_person_code_finds_the_persons_case(intake: ServiceHarness) -> None:
    case = await registered(intake)
    child = case["persons"][1]

    response = await find(intake, "supervisor.riverton", child["code"].lower())

    assert response.status_code == 200 and response.json()["id"] == case["id"]


async def test_another_municipalitys_case_is_404_like_a_code_that_names_nothing(
    intake: ServiceHarness,
) -> None:
    case = await registered(intake)

    hidden = await find(intake, "coordinator.lakeside", case["code"])
    person = await find(intake, "supervisor.lakeside", case["persons"][0]["code"])
    missing = await find(intake, "coordinator.lakeside", "HW-2222-22")

    assert hidden.status_code == person.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == missing.json()["detail"]
    assert hidden.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("typed", ["Zaynab Qorvath-Elmira", "Zaynab", "NID-88412093", "1994-05-17"])
async def test_names_and_identity_data_find_nothing(intake: ServiceHarness, typed: str) -> None:
    await registered(intake)

    response = await find(intake, OWNER, typed)

    assert response.status_code == 404


@pytest.mark.parametrize("user", ["police.riverton", "documents.riverton", "auditor", "admin"])
async def test_roles_that_do_not_read_cases_are_403(intake: ServiceHarness, user: str) -> None:
    case = await registered(intake)

    response = await find(intake, user, case["code"])

    assert response.status_code == 403


async def test_no_token_is_401_and_an_overlong_code_422(intake: ServiceHarness) -> None:
    case = await registered(intake)

    anonymous = await intake.http.get(f"/v1/cases/by-code/{case['code']}")
    overlong = await find(intake, OWNER, "HW" + "7" * 60)

    assert anonymous.status_code == 401
    assert overlong.status_code == 422
