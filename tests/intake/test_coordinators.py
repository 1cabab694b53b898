"""A case's coordinator is a coordinator of its municipality whom intake has seen (from their
token) lately, never free text; the directory forgets whom it has not seen for a while."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from homeward.common.events import OutboxRecord
from homeward.common.testing.apps import ServiceHarness
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.intake.adapters.tables import StaffRow
from homeward.intake.handlers import staff
from homeward.intake.handlers.staff import StaffDirectory
from tests.intake.conftest import running_intake
from tests.intake.intake_helpers import COORDINATOR, family, second_riverton_coordinator

SECOND = "coordinator.riverton.2"


async def _case(intake: ServiceHarness) -> dict[str, Any]:
    response = await intake.call(COORDINATOR, "POST", "/v1/cases", json=family())
    assert response.status_code == 201, response.text
    return response.json()


async def _assign(intake: ServiceHarness, case: dict[str, Any], who: str) -> Any:
    return await intake.call(
        COORDINATOR, "PUT", f"/v1/cases/{case['id']}/coordinator", json={"coordinator": who}
    )


async def test_a_coordinator_seen_in_the_municipality_can_be_assigned(
    intake: ServiceHarness,
) -> None:
    case = await _case(intake)
    # Intake learns staff from the tokens it sees: the second coordinator has called once.
    seen = await intake.http.get("/v1/cases", headers=second_riverton_coordinator(intake.idp))
    assert seen.status_code == 200
    picker = await intake.call(COORDINATOR, "GET", "/v1/coordinators")
    assert picker.status_code == 200, picker.text
    assert [c["username"] for c in picker.json()["items"]] == [
        "coordinator.riverton", "coordinator.riverton.2",
    ]  # fmt: skip
    assigned = await _assign(intake, case, "coordinator.riverton.2")
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["coordinator"] == "coordinator.riverton.2"


@pytest.mark.parametrize(
    "who",
    [
        "coordinator.lakeside",  # a coordinator of another municipality
        "police.riverton",  # a partner: never a coordinator
        "supervisor.riverton",  # staff of the municipality, but not a coordinator
        "Zaynab Qorvath-Elmira",  # a name typed in the field
        "coordinator.unknown",  # nobody intake has seen
    ],
)
async def test_anyone_else_is_refused_and_nothing_reaches_the_bus(
    intake: ServiceHarness, who: str
) -> None:
    for caller in ("coordinator.lakeside", "supervisor.riverton", "police.riverton"):
        await intake.call(caller, "GET", "/v1/cases")  # seen (the partner gets 403 besides)
    case = await _case(intake)
    refused = await _assign(intake, case, who)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert who not in refused.text
    assert (await intake.call(COORDINATOR, "GET", f"/v1/cases/{case['id']}")).json()[
        "coordinator"
    ] == COORDINATOR
    async with intake.database.sessions() as session:
        outbox = (await session.exec(select(OutboxRecord))).all()
    assert all(who not in str(event.data) for event in outbox)
    assert not any("coordinator_assigned" in event.type for event in outbox)


async def test_the_picker_lists_only_the_callers_municipality(intake: ServiceHarness) -> None:
    await intake.call("coordinator.lakeside", "GET", "/v1/cases")
    riverton = await intake.call(COORDINATOR, "GET", "/v1/coordinators")
    lakeside = await intake.call("coordinator.lakeside", "GET", "/v1/coordinators")
    assert [c["username"] for c in riverton.json()["items"]] == [COORDINATOR]
    assert [c["username"] for c in lakeside.json()["items"]] == ["coordinator.lakeside"]
    assert (await intake.call("police.riverton", "GET", "/v1/coordinators")).status_code == 403


async def test_a_coordinator_who_lost_the_role_is_no_longer_assignable(
    intake: ServiceHarness,
) -> None:
    case = await _case(intake)
    await intake.http.get("/v1/cases", headers=second_riverton_coordinator(intake.idp))
    # Seen again, now as a supervisor only (the realm took the coordinator role away).
    demoted = second_riverton_coordinator(intake.idp, realm_access={"roles": ["supervisor"]})
    assert (await intake.http.get("/v1/cases", headers=demoted)).status_code == 200
    refused = await _assign(intake, case, "coordinator.riverton.2")
    assert refused.status_code == 422, refused.text


async def test_my_cases_are_the_ones_i_coordinate_in_my_municipality(
    intake: ServiceHarness,
) -> None:
    """`coordinator=me` filters in intake (not the first page in the console): the cases the
    caller coordinates, within their municipality; a supervisor may list a coordinator's."""
    second = second_riverton_coordinator(intake.idp)
    await intake.http.get("/v1/cases", headers=second)
    mine, theirs = await _case(intake), await _case(intake)
    assert (await _assign(intake, theirs, "coordinator.riverton.2")).status_code == 200

    def ids(response: Any) -> list[str]:
        assert response.status_code == 200, response.text
        return [case["id"] for case in response.json()["items"]]

    me = {"coordinator": "me"}
    assert ids(await intake.call(COORDINATOR, "GET", "/v1/cases", params=me)) == [mine["id"]]
    assert ids(await intake.http.get("/v1/cases", params=me, headers=second)) == [theirs["id"]]
    by_name = {"coordinator": "coordinator.riverton.2"}
    assert ids(await intake.call("supervisor.riverton", "GET", "/v1/cases", params=by_name)) == [
        theirs["id"]
    ]
    assert ids(await intake.call("supervisor.riverton", "GET", "/v1/cases", params=me)) == []
    # Another municipality's coordinator naming ours: their own municipality only, so nothing.
    lakeside = await intake.call("coordinator.lakeside", "GET", "/v1/cases",
                                 params={"coordinator": COORDINATOR})  # fmt: skip
    assert ids(lakeside) == []
    # Who may not list cases at all, and who has no token, are refused before the filter.
    assert (await intake.call("police.riverton", "GET", "/v1/cases", params=me)).status_code == 403
    assert (await intake.http.get("/v1/cases", params=me)).status_code == 401
    long = {"coordinator": "x" * 201}
    refused = await intake.call(COORDINATOR, "GET", "/v1/cases", params=long)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"


# --- the directory forgets -----------------------------------------------------------------


def _staff_clock_at(monkeypatch: pytest.MonkeyPatch, at: datetime) -> None:
    """The staff directory tells the time by this clock until `monkeypatch.undo()`."""
    monkeypatch.setattr(staff, "utcnow", lambda: at)


async def _calls(intake: ServiceHarness, headers: dict[str, str]) -> None:
    response = await intake.http.get("/v1/cases", headers=headers)
    assert response.status_code == 200, response.text


async def _picker(intake: ServiceHarness) -> list[str]:
    response = await intake.call(COORDINATOR, "GET", "/v1/coordinators")
    assert response.status_code == 200, response.text
    return [coordinator["username"] for coordinator in response.json()["items"]]


async def _last_seen(intake: ServiceHarness, username: str) -> datetime:
    async with intake.database.session() as session:
        row = (await session.exec(select(StaffRow).where(StaffRow.username == username))).one()
    return row.last_seen_at


@pytest.mark.parametrize(("days_ago", "remembered"), [(89, True), (91, False)])
async def test_a_coordinator_not_seen_for_90_days_is_forgotten_until_back_at_work(
    intake: ServiceHarness, monkeypatch: pytest.MonkeyPatch, days_ago: int, remembered: bool
) -> None:
    case = await _case(intake)
    _staff_clock_at(monkeypatch, datetime.now(UTC) - timedelta(days=days_ago))
    await _calls(intake, second_riverton_coordinator(intake.idp))
    monkeypatch.undo()

    assert await _picker(intake) == ([COORDINATOR, SECOND] if remembered else [COORDINATOR])
    assigned = await _assign(intake, case, SECOND)
    assert assigned.status_code == (200 if remembered else 422), assigned.text
    # Back at work (a token today): listed and assignable again.
    await _calls(intake, second_riverton_coordinator(intake.idp))
    assert await _picker(intake) == [COORDINATOR, SECOND]
    assert (await _assign(intake, case, SECOND)).status_code == 200


async def test_last_seen_moves_at_most_once_a_day(
    intake: ServiceHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = second_riverton_coordinator(intake.idp)
    start = datetime.now(UTC) - timedelta(days=3)
    _staff_clock_at(monkeypatch, start)
    await _calls(intake, headers)
    assert await _last_seen(intake, SECOND) == start

    _staff_clock_at(monkeypatch, start + timedelta(hours=23))
    await _calls(intake, headers)
    assert await _last_seen(intake, SECOND) == start
    # Another replica (a fresh directory: it never saw them) leaves today's row alone too.
    intake.app.state.staff = StaffDirectory(intake.database)
    await _calls(intake, headers)
    assert await _last_seen(intake, SECOND) == start

    _staff_clock_at(monkeypatch, start + timedelta(hours=25))
    await _calls(intake, headers)
    assert await _last_seen(intake, SECOND) == start + timedelta(hours=25)


async def test_the_window_is_a_setting(
    database_url: str,
    identity_provider: RunningIdentityProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with running_intake(database_url, identity_provider, staff_seen_within_days=7) as intake:
        now = datetime.now(UTC)
        for sub, username, days_ago in (
            ("00000000-0000-4000-8000-0000000000c2", SECOND, 8),
            ("00000000-0000-4000-8000-0000000000c3", "coordinator.riverton.3", 6),
        ):
            _staff_clock_at(monkeypatch, now - timedelta(days=days_ago))
            who = {"sub": sub, "preferred_username": username}
            await _calls(intake, second_riverton_coordinator(intake.idp, **who))
        monkeypatch.undo()
        assert await _picker(intake) == [COORDINATOR, "coordinator.riverton.3"]
