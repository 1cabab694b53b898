"""The console's find box on referrals: `?code=` keeps the referrals of one case or person,
within what the caller may list (its municipality, or its agency's referrals in its hands),
whatever way the code is typed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.referrals.conftest import ReferralsHarness
from tests.referrals.helpers import Family, referral_body

CYRILLIC_TWINS = str.maketrans(
    "ABEKMHOPCTX", "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425"
)


async def two_families(referrals: ReferralsHarness) -> tuple[Family, dict[str, str], str]:
    """A family with referrals to the school (sent, and a draft) and the police, and one
    referral of another family; answers the family, its referral ids and the other's."""
    family = await referrals.family()
    other = await referrals.family()
    await referrals.feed(
        family.consent(family.child, "school", ["education"]),
        family.consent(family.mother, "police", ["legal"]),
        other.consent(other.child, "school", ["education"]),
    )

    async def create(body: dict[str, Any]) -> str:
        return (await referrals.create_referral(body))["id"]

    ids = {
        "school": await create(referral_body(family)),
        "draft": await create(referral_body(family, send=False)),
        "police": await create(referral_body(family, person_id=family.mother,
                                             agency_id="riverton-police",
                                             service_category="legal-aid", disclose=["legal"])),
    }  # fmt: skip
    return family, ids, await create(referral_body(other))


async def found(referrals: ReferralsHarness, user: str, code: str) -> set[str]:
    response = await referrals.call(user, "GET", "/v1/referrals", params={"code": code})
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


@pytest.mark.parametrize(
    "typing",
    [
        str,
        lambda code: code.lower().replace("-", ""),
        lambda code: code.translate(CYRILLIC_TWINS).lower(),
    ],
    ids=["as-printed", "lower-no-hyphens", "cyrillic-twins"],
)
async def test_a_coordinator_finds_the_cases_referrals_of_the_municipality(
    referrals: ReferralsHarness, typing: Any
) -> None:
    family, ids, _ = await two_families(referrals)

    assert await found(referrals, "coordinator.riverton", typing(family.code)) == set(ids.values())
    assert await found(referrals, "supervisor.riverton", typing(family.code)) == set(ids.values())


async def test_a_person_code_keeps_that_persons_referrals(referrals: ReferralsHarness) -> None:
    family, ids, _ = await two_families(referrals)

    mother = await found(referrals, "coordinator.riverton", family.mother_code.lower())
    child = await found(referrals, "coordinator.riverton", family.child_code)

    assert mother == {ids["police"]}
    assert child == {ids["school"], ids["draft"]}


async def test_a_partner_finds_only_its_agencys_referrals_in_its_hands(
    referrals: ReferralsHarness,
) -> None:
    family, ids, _ = await two_families(referrals)

    assert await found(referrals, "school.riverton", family.code) == {ids["school"]}
    assert await found(referrals, "school-system", family.code) == {ids["school"]}
    assert await found(referrals, "police.riverton", family.code) == {ids["police"]}
    assert await found(referrals, "school.riverton", family.mother_code) == set()
    assert await found(referrals, "health.riverton", family.code) == set()


async def test_another_municipality_finds_nothing(referrals: ReferralsHarness) -> None:
    family, _, _ = await two_families(referrals)

    assert await found(referrals, "coordinator.lakeside", family.code) == set()
    assert await found(referrals, "supervisor.lakeside", family.child_code) == set()


@pytest.mark.parametrize("typed", ["Zaynab", "HW-2222-22", "not a code", "P-"])
async def test_what_is_not_a_known_code_finds_nothing(
    referrals: ReferralsHarness, typed: str
) -> None:
    await two_families(referrals)

    assert await found(referrals, "coordinator.riverton", typed) == set()


@pytest.mark.parametrize("user", ["documents.riverton", "auditor", "admin"])
async def test_roles_that_do_not_read_referrals_are_403(
    referrals: ReferralsHarness, user: str
) -> None:
    family, _, _ = await two_families(referrals)

    response = await referrals.call(user, "GET", "/v1/referrals", params={"code": family.code})

    assert response.status_code == 403


async def test_no_token_is_401_and_an_overlong_code_422(referrals: ReferralsHarness) -> None:
    family, _, _ = await two_families(referrals)

    anonymous = await referrals.http.get("/v1/referrals", params={"code": family.code})
    overlong = await referrals.call(
        "coordinator.riverton", "GET", "/v1/referrals", params={"code": "HW" + "7" * 60}
    )

    assert anonymous.status_code == 401
    assert overlong.status_code == 422
