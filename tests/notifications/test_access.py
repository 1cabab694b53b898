"""Who may do what, role by role: inbox scope (404 outside it), 403 for roles without an
inbox, and the auditor sees nothing."""

from __future__ import annotations

import pytest

from homeward.common.testing.kafka import wait_for
from tests.notifications.conftest import NotificationsHarness
from tests.notifications.helpers import case_registered, publish, referral_event

# One notification per scope kind: the police agency (sent), Riverton's coordinators
# (accepted, no coordinator assigned), Riverton's documents officers (task raised).
TASK = (
    "homeward.documentation_task.raised.v1",
    {
        "task_id": "1e5f4a7c-0000-4000-8000-000000000006",
        "referral_id": "8c3d2e5a-0000-4000-8000-000000000004",
        "case_id": "6a1b0c3e-0000-4000-8000-000000000001",
        "case_code": "HW-7KQ3-M9",
        "municipality": "riverton",
        "person_id": "7b2c1d4f-0000-4000-8000-000000000003",
        "service_category": "legal-aid",
        "needed": [["national-id", "passport"]],
        "raised_at": "2025-04-01T10:00:00+00:00",
    },
)
SEES = {
    "police.riverton": {"homeward.referral.sent.v1"},
    "police-system": {"homeward.referral.sent.v1"},
    "coordinator.riverton": {"homeward.referral.accepted.v1"},
    "documents.riverton": {"homeward.documentation_task.raised.v1"},
    "supervisor.riverton": set(),
    "coordinator.lakeside": set(),
    "supervisor.lakeside": set(),
    "school.riverton": set(),
    "health.riverton": set(),
    "religious.riverton": set(),
    "admin": set(),
}


@pytest.fixture
async def scoped(notifications: NotificationsHarness) -> dict[str, int]:
    await publish(notifications.broker, *case_registered())
    await publish(notifications.broker, *referral_event("sent"))
    await publish(notifications.broker, *referral_event("accepted"))
    await publish(notifications.broker, *TASK)

    async def all_in() -> bool:
        for who in ("police.riverton", "coordinator.riverton", "documents.riverton"):
            if len(await notifications.inbox(who)) != 1:
                return False
        return True

    await wait_for(all_in)
    ids = {}
    for who in ("police.riverton", "coordinator.riverton", "documents.riverton"):
        [item] = await notifications.inbox(who)
        ids[item["event_type"]] = item["id"]
    return ids


@pytest.mark.parametrize("who", sorted(SEES))
async def test_each_user_sees_and_marks_only_their_scope(
    notifications: NotificationsHarness, scoped: dict[str, int], who: str
) -> None:
    items = await notifications.inbox(who)
    assert {item["event_type"] for item in items} == SEES[who]
    for event_type, notification_id in scoped.items():
        expected = 200 if event_type in SEES[who] else 404
        for method, suffix in [("GET", ""), ("POST", "/read"), ("POST", "/acknowledge")]:
            response = await notifications.call(
                who, method, f"/v1/notifications/{notification_id}{suffix}"
            )
            assert response.status_code == expected, (who, event_type, suffix)


async def test_the_auditor_has_no_inbox(
    notifications: NotificationsHarness, scoped: dict[str, int]
) -> None:
    for path in ["/v1/notifications", "/v1/notifications/unread-count",
                 f"/v1/notifications/{next(iter(scoped.values()))}"]:  # fmt: skip
        assert (await notifications.call("auditor", "GET", path)).status_code == 403
    no_token = await notifications.http.get("/v1/notifications")
    assert no_token.status_code == 401
