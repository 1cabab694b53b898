"""A case's notices never reach a user outside the case's municipality, whatever an event
names as its coordinator: not in the inbox, not on the stream, not by email."""

from __future__ import annotations

from typing import Any

from homeward.common.testing.kafka import wait_for
from tests.notifications.conftest import NotificationsHarness
from tests.notifications.helpers import (
    case_registered,
    coordinator_assigned,
    publish,
    referral_event,
)


async def test_a_coordinator_of_another_municipality_named_on_a_case_is_told_nothing(
    notifications: NotificationsHarness, smtp: tuple[Any, int]
) -> None:
    collector, _ = smtp
    for who, address in (("coordinator.lakeside", "c@lakeside.example"),
                         ("coordinator.riverton", "c@riverton.example")):  # fmt: skip
        opted = await notifications.call(who, "PUT", "/v1/me/email", json={"address": address})
        assert opted.status_code == 200, opted.text
    await publish(notifications.broker, *case_registered())  # a riverton case
    # An event naming lakeside's coordinator on it (intake refuses that; a bug or a forged
    # event must not be enough either).
    await publish(notifications.broker, *coordinator_assigned("coordinator.lakeside"))
    await publish(notifications.broker, *referral_event("rejected", reason_code="no-capacity"))
    await publish(notifications.broker, *coordinator_assigned("coordinator.riverton"))
    await publish(notifications.broker, *referral_event("accepted"))

    async def riverton_told() -> bool:
        items = await notifications.inbox("coordinator.riverton")
        return "homeward.referral.accepted.v1" in {item["event_type"] for item in items}

    await wait_for(riverton_told)
    assert await notifications.inbox("coordinator.lakeside") == []
    stream = await notifications.call(
        "coordinator.lakeside", "GET", "/v1/notifications/unread-count"
    )
    assert stream.json()["unread"] == 0

    async def riverton_emailed() -> bool:
        return any("accepted" in m["subject"] for m in collector.messages)

    await wait_for(riverton_emailed)
    assert all(m["to"] == ["c@riverton.example"] for m in collector.messages)
