"""My agency: an agency's own staff keep its capacity, services, municipalities, languages
and accredited staff; the directory shows them and coordinators filter on them; a closed
agency takes no new referrals (422): neither new, nor drafts sent or released later."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from homeward.referrals.adapters.tables import AgencyRow, ReferralRow
from tests.referrals.conftest import ReferralsHarness
from tests.referrals.helpers import referral_body

SCHOOL_ID, PROFILE = "riverton-primary-school", "/v1/agencies/riverton-primary-school/profile"
COORDINATOR = "coordinator.riverton"


def profile(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "capacity": "waitlist",
        "service_categories": ["school-enrolment", "family-support"],
        "municipalities": ["Riverton", "lakeside"],
        "languages": ["kk", "RU", "en", "kk"],
        "accreditations": [
            {"code": "trauma-aware-teacher", "count": 3},
            {"code": "child-psychologist", "count": 1},
        ],
    }
    body.update(overrides)
    return body


async def test_agency_staff_keep_their_profile_and_the_directory_shows_it(
    referrals: ReferralsHarness,
) -> None:
    for user in ("school.riverton", "school-system"):  # staff, and the agency's own system
        response = await referrals.call(user, "PUT", PROFILE, json=profile())
        assert response.status_code == 200, (user, response.text)
    agency = (await referrals.call(COORDINATOR, "GET", f"/v1/agencies/{SCHOOL_ID}")).json()
    assert agency["capacity"] == "waitlist"
    assert agency["service_categories"] == ["family-support", "school-enrolment"]
    assert agency["municipalities"] == ["lakeside", "riverton"]
    assert agency["languages"] == ["en", "kk", "ru"]
    assert agency["accreditations"] == [
        {"code": "child-psychologist", "count": 1},
        {"code": "trauma-aware-teacher", "count": 3},
    ]
    assert agency["name"] == "Riverton Primary School"  # the admins' fields stay as they were
    trail = (await referrals.call("auditor", "GET", "/v1/audit",
                                  params={"action": "agency.profile_updated"})).json()  # fmt: skip
    assert {entry["agency_id"] for entry in trail["items"]} == {SCHOOL_ID}


async def test_coordinators_filter_on_language_accreditation_and_capacity(
    referrals: ReferralsHarness,
) -> None:
    await referrals.call("school.riverton", "PUT", PROFILE, json=profile())
    health = profile(
        capacity="open",
        service_categories=["mental-health"],
        languages=["uz"],
        accreditations=[{"code": "trauma-informed-psychologist", "count": 2}],
    )
    response = await referrals.call(
        "health.riverton", "PUT", "/v1/agencies/riverton-health-centre/profile", json=health
    )
    assert response.status_code == 200, response.text

    async def found(**params: str) -> set[str]:
        response = await referrals.call(COORDINATOR, "GET", "/v1/agencies", params=params)
        assert response.status_code == 200, response.text
        return {agency["id"] for agency in response.json()}

    assert await found(language="kk") == {SCHOOL_ID}
    assert await found(language="UZ") == {"riverton-health-centre"}
    assert await found(accreditation="trauma-informed-psychologist") == {"riverton-health-centre"}
    assert await found(accreditation="trauma-aware-teacher", municipality="lakeside") == {SCHOOL_ID}
    assert SCHOOL_ID in await found(capacity="waitlist")
    assert SCHOOL_ID not in await found(capacity="open")
    assert await found(language="de") == set()
    for bad in ({"language": "kazakh"}, {"accreditation": "wizard"}, {"capacity": "full"}):
        refused = await referrals.call(COORDINATOR, "GET", "/v1/agencies", params=bad)
        assert refused.status_code == 422, bad


async def test_closed_capacity_refuses_new_referrals(referrals: ReferralsHarness) -> None:
    family = await referrals.consented_family()
    before = await referrals.create_referral(referral_body(family))
    closed = profile(capacity="closed", service_categories=["school-enrolment"])
    assert (await referrals.call("school.riverton", "PUT", PROFILE, json=closed)).status_code == 200
    refused = await referrals.call(COORDINATOR, "POST", "/v1/referrals", json=referral_body(family))
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "takes no new referrals" in refused.json()["detail"]
    # The referrals it already holds go on.
    accepted = await referrals.call("school.riverton", "POST",
                                    f"/v1/referrals/{before['id']}/accept", json={})  # fmt: skip
    assert accepted.status_code == 200
    async with referrals.database.session() as session:
        assert len((await session.exec(select(ReferralRow))).all()) == 1


async def test_a_draft_is_not_sent_to_a_closed_agency(referrals: ReferralsHarness) -> None:
    family = await referrals.consented_family()
    draft = await referrals.create_referral(referral_body(family, send=False))
    closed = profile(capacity="closed", service_categories=["school-enrolment"])
    assert (await referrals.call("school.riverton", "PUT", PROFILE, json=closed)).status_code == 200
    send = f"/v1/referrals/{draft['id']}/send"
    refused = await referrals.call(COORDINATOR, "POST", send, json={})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "takes no new referrals" in refused.json()["detail"]
    read = await referrals.call(COORDINATOR, "GET", f"/v1/referrals/{draft['id']}")
    assert read.json()["state"] == "draft"
    assert await referrals.outbox("homeward.referral.sent.v1") == []
    reopened = profile(capacity="open", service_categories=["school-enrolment"])
    assert (
        await referrals.call("school.riverton", "PUT", PROFILE, json=reopened)
    ).status_code == 200
    sent = await referrals.call(COORDINATOR, "POST", send, json={})
    assert sent.status_code == 200 and sent.json()["state"] == "requested", sent.text


async def test_a_blocked_draft_is_not_released_to_a_closed_agency(
    referrals: ReferralsHarness,
) -> None:
    family = await referrals.family()  # no consent yet: the draft is blocked
    waiting = await referrals.create_referral(referral_body(family))  # sending asked for
    blocked = await referrals.create_referral(referral_body(family, send=False))
    assert waiting["blocked_on"] == ["consent"] and waiting["state"] == "draft"
    closed = profile(capacity="closed", service_categories=["school-enrolment"])
    assert (await referrals.call("school.riverton", "PUT", PROFILE, json=closed)).status_code == 200
    # Asking to send a blocked draft is refused as sending a clear one is.
    refused = await referrals.call(
        COORDINATOR, "POST", f"/v1/referrals/{blocked['id']}/send", json={}
    )
    assert refused.status_code == 422 and "takes no new referrals" in refused.json()["detail"]
    # The gate clears (the consent arrives): the waiting draft stays a draft, says why.
    await referrals.feed(family.consent(family.child, "school", ["education"]))
    read = (await referrals.call(COORDINATOR, "GET", f"/v1/referrals/{waiting['id']}")).json()
    assert read["state"] == "draft" and read["blocked_on"] == []
    assert "send-held" in [entry["action"] for entry in read["history"]]
    assert await referrals.outbox("homeward.referral.sent.v1") == []


async def test_only_the_agency_itself_keeps_its_profile(referrals: ReferralsHarness) -> None:
    assert (await referrals.http.put(PROFILE, json=profile())).status_code == 401
    assert (await referrals.http.put(PROFILE, json={"capacity": "x"})).status_code == 401
    for user in ("police.riverton", "health.riverton"):  # another agency: as if none existed
        hidden = await referrals.call(user, "PUT", PROFILE, json=profile())
        missing = await referrals.call(user, "PUT", "/v1/agencies/nope/profile", json=profile())
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["detail"] == missing.json()["detail"]
    for user in (COORDINATOR, "supervisor.riverton", "admin", "auditor"):
        assert (await referrals.call(user, "PUT", PROFILE, json=profile())).status_code == 403
    async with referrals.database.session() as session:
        school = await session.get(AgencyRow, SCHOOL_ID)
        assert school is not None and school.languages == [] and school.capacity == "open"


async def test_bad_profiles_are_422_and_change_nothing(referrals: ReferralsHarness) -> None:
    for body in (
        profile(capacity="full"),
        profile(languages=["Kazakh"]),
        profile(accreditations=[{"code": "wizard", "count": 1}]),
        profile(accreditations=[{"code": "child-psychologist", "count": 0}]),
        profile(
            accreditations=[
                {"code": "child-psychologist", "count": 1},
                {"code": "child-psychologist", "count": 2},
            ]
        ),
        profile(accreditations=[{"code": "child-psychologist", "count": 1, "names": ["A"]}]),
        profile(service_categories=[]),
        profile(municipalities=["  "]),
        profile(name="Renamed School"),
    ):
        response = await referrals.call("school.riverton", "PUT", PROFILE, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    async with referrals.database.session() as session:
        school = await session.get(AgencyRow, SCHOOL_ID)
        assert school is not None
        assert (school.capacity, school.languages, school.accreditations) == ("open", [], [])
