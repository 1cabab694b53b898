"""Events become inbox items for the right scopes; read, acknowledge, counts; duplicates."""

from __future__ import annotations

from homeward.common.testing.kafka import wait_for
from tests.notifications.conftest import NotificationsHarness
from tests.notifications.helpers import (
    LAKESIDE_CASE,
    RIVERTON_CASE,
    case_registered,
    coordinator_assigned,
    publish,
    referral_event,
)


async def _until_inbox(harness: NotificationsHarness, who: str, count: int) -> list[dict]:
    items: list[dict] = []

    async def arrived() -> bool:
        nonlocal items
        items = await harness.inbox(who)
        return len(items) >= count

    await wait_for(arrived)
    return items


async def test_blocked_referral_reaches_the_assigned_coordinator_only(
    notifications: NotificationsHarness,
) -> None:
    await publish(notifications.broker, *case_registered())
    await publish(notifications.broker, *coordinator_assigned())
    await publish(notifications.broker, *referral_event("blocked"))

    items = await _until_inbox(notifications, "coordinator.riverton", 2)
    assert [item["event_type"] for item in items] == [
        "homeward.referral.blocked.v1",
        "homeward.case.coordinator_assigned.v1",
    ]
    blocked = items[0]
    assert blocked["case_code"] == "HW-7KQ3-M9"
    assert blocked["details"]["service_category"] == "legal-aid"
    assert blocked["link"] == (
        "https://homeward.example/app/referrals/8c3d2e5a-0000-4000-8000-000000000004"
    )
    for outsider in ("coordinator.lakeside", "supervisor.riverton", "police.riverton", "admin"):
        assert await notifications.inbox(outsider) == [], outsider


async def test_unblocked_referral_tells_coordinator_and_agency(
    notifications: NotificationsHarness,
) -> None:
    await publish(notifications.broker, *case_registered())
    # Sent, then blocked and unblocked again (consent withdrawn and given anew, say).
    await publish(notifications.broker, *referral_event("sent"))
    await _until_inbox(notifications, "police.riverton", 1)
    await publish(notifications.broker, *referral_event("unblocked"))
    # No coordinator assigned yet: every coordinator of the municipality is told.
    await _until_inbox(notifications, "coordinator.riverton", 1)
    police = await _until_inbox(notifications, "police.riverton", 2)
    assert police[0]["event_type"] == "homeward.referral.unblocked.v1"
    assert await _until_inbox(notifications, "police-system", 2)  # the agency's system too
    assert await notifications.inbox("school.riverton") == []
    assert await notifications.inbox("coordinator.lakeside") == []


async def test_read_acknowledge_and_counts(notifications: NotificationsHarness) -> None:
    await publish(notifications.broker, *case_registered())
    await publish(notifications.broker, *coordinator_assigned())
    await publish(notifications.broker, *referral_event("blocked"))
    items = await _until_inbox(notifications, "coordinator.riverton", 2)
    newest, oldest = items

    count = await notifications.call(
        "coordinator.riverton", "GET", "/v1/notifications/unread-count"
    )
    assert count.json() == {"unread": 2}

    read = await notifications.call(
        "coordinator.riverton", "POST", f"/v1/notifications/{newest['id']}/read"
    )
    assert read.status_code == 200 and read.json()["read_at"] and not read.json()["acknowledged_at"]
    # Unread first: the read item moves behind the unread one.
    assert [i["id"] for i in await notifications.inbox("coordinator.riverton")] == [
        oldest["id"],
        newest["id"],
    ]
    assert [
        i["id"] for i in await notifications.inbox("coordinator.riverton", unread_only=True)
    ] == [oldest["id"]]
    acked = await notifications.call(
        "coordinator.riverton", "POST", f"/v1/notifications/{oldest['id']}/acknowledge"
    )
    assert acked.json()["acknowledged_at"] and acked.json()["read_at"]
    count = await notifications.call(
        "coordinator.riverton", "GET", "/v1/notifications/unread-count"
    )
    assert count.json() == {"unread": 0}

    page = await notifications.call(
        "coordinator.riverton", "GET", "/v1/notifications", params={"limit": 1}
    )
    assert page.json()["total"] == 2 and page.json()["next_offset"] == 1


async def test_team_notifications_keep_read_state_per_user(
    notifications: NotificationsHarness,
) -> None:
    # A transfer to Lakeside goes to Lakeside's supervisors and coordinators as a role.
    await publish(
        notifications.broker,
        "homeward.transfer.requested.v1",
        {
            "transfer_id": "9d4e3f6b-0000-4000-8000-000000000005",
            "case_id": "6a1b0c3e-0000-4000-8000-000000000001",
            "case_code": "HW-7KQ3-M9",
            "from_municipality": "riverton",
            "to_municipality": "lakeside",
            "requested_at": "2025-04-01T10:00:00+00:00",
        },
    )
    item = (await _until_inbox(notifications, "supervisor.lakeside", 1))[0]
    assert (await _until_inbox(notifications, "coordinator.lakeside", 1))[0]["summary"]
    assert await notifications.inbox("supervisor.riverton") == []
    await notifications.call("supervisor.lakeside", "POST", f"/v1/notifications/{item['id']}/read")
    lakeside = await notifications.inbox("coordinator.lakeside", unread_only=True)
    assert len(lakeside) == 1


async def test_an_event_delivered_twice_makes_one_notification(
    notifications: NotificationsHarness,
) -> None:
    await publish(notifications.broker, *case_registered())
    event_type, data = referral_event("blocked")
    await publish(notifications.broker, event_type, data, event_id="evt-duplicate-1")
    await publish(notifications.broker, event_type, data, event_id="evt-duplicate-1")
    await publish(notifications.broker, *coordinator_assigned("coordinator.riverton"))
    # The assignment comes after both copies: once it is in, both copies were handled.
    await _until_inbox(notifications, "coordinator.riverton", 2)
    items = await notifications.inbox("coordinator.riverton")
    assert [i["event_type"] for i in items].count("homeward.referral.blocked.v1") == 1


async def test_read_all_is_a_post_only_resource(notifications: NotificationsHarness) -> None:
    wrong_method = await notifications.call(
        "coordinator.riverton", "GET", "/v1/notifications/read-all"
    )
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"
    not_an_id = await notifications.call("coordinator.riverton", "GET", "/v1/notifications/x1")
    assert not_an_id.status_code == 404


async def test_a_case_s_notifications_are_the_caller_s_own_about_it(
    notifications: NotificationsHarness,
) -> None:
    """`?case_id=`: the caller's notifications about that case (a family page's timeline);
    never anyone else's, so another municipality's case or an unknown one gives nothing."""
    await publish(notifications.broker, *case_registered())
    await publish(notifications.broker, *case_registered(LAKESIDE_CASE, "HW-2ABC-D3", "lakeside"))
    await publish(notifications.broker, *coordinator_assigned())
    await publish(notifications.broker, *referral_event("blocked"))
    kind, lakeside = coordinator_assigned("coordinator.lakeside", LAKESIDE_CASE)
    await publish(notifications.broker, kind,
                  lakeside | {"case_code": "HW-2ABC-D3", "municipality": "lakeside"})  # fmt: skip
    await _until_inbox(notifications, "coordinator.riverton", 2)
    await _until_inbox(notifications, "coordinator.lakeside", 1)

    riverton = await notifications.inbox("coordinator.riverton", case_id=RIVERTON_CASE)
    assert [i["case_code"] for i in riverton] == ["HW-7KQ3-M9", "HW-7KQ3-M9"]
    assert await notifications.inbox("coordinator.riverton", case_id=LAKESIDE_CASE) == []
    assert await notifications.inbox("coordinator.lakeside", case_id=RIVERTON_CASE) == []
    lakeside_items = await notifications.inbox("coordinator.lakeside", case_id=LAKESIDE_CASE)
    assert [i["case_code"] for i in lakeside_items] == ["HW-2ABC-D3"]
    assert await notifications.inbox("coordinator.riverton", case_id="unknown") == []
    page = await notifications.call("coordinator.riverton", "GET", "/v1/notifications",
                                    params={"case_id": RIVERTON_CASE})  # fmt: skip
    assert page.json()["total"] == 2
    # Who reads no inbox, and who has no token, are refused before the filter.
    refused = await notifications.call("auditor", "GET", "/v1/notifications",
                                       params={"case_id": RIVERTON_CASE})  # fmt: skip
    assert refused.status_code == 403
    anonymous = await notifications.http.get("/v1/notifications", params={"case_id": "x" * 37})
    assert anonymous.status_code == 401
    too_long = await notifications.call("coordinator.riverton", "GET", "/v1/notifications",
                                        params={"case_id": "x" * 37})  # fmt: skip
    assert too_long.status_code == 422
