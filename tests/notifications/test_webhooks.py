"""Signed webhooks: a real receiver verifies signatures, sees retries after a 500; persistent
failure disables the subscription and tells the agency and the admins; replay; URL safety."""

from __future__ import annotations

from typing import Any

import pytest

from homeward.common.testing.kafka import wait_for
from tests.notifications.conftest import NotificationsHarness
from tests.notifications.helpers import (
    case_registered,
    publish,
    referral_event,
    webhook_receiver,
)


async def _subscribe(
    harness: NotificationsHarness, who: str, url: str, **body: Any
) -> dict[str, Any]:
    response = await harness.call(
        who, "POST", "/v1/webhooks/subscriptions", json={"url": url, **body}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_receiver_verifies_signatures_and_sees_retries_after_500(
    notifications: NotificationsHarness,
) -> None:
    async with webhook_receiver(fail_first=2) as receiver:
        created = await _subscribe(notifications, "police-system", receiver.url)
        receiver.secret = created["secret"]
        assert created["secret"].startswith("whsec_") and created["agency_id"] == "riverton-police"
        listed = await notifications.call("police-system", "GET", "/v1/webhooks/subscriptions")
        assert "secret" not in listed.json()[0]  # shown once only

        await publish(notifications.broker, *case_registered())
        # Work had started (no notice), then the referral was blocked and is unblocked now.
        await publish(notifications.broker, *referral_event("started"))
        await publish(notifications.broker, *referral_event("unblocked"))

        async def delivered() -> bool:
            return len(receiver.accepted) == 1

        await wait_for(delivered)
    assert len(receiver.requests) == 3  # two 500s, then accepted
    assert all(r["verified"] for r in receiver.requests)
    assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1  # same message id
    body = receiver.requests[-1]["json"]
    assert body["type"] == "homeward.referral.unblocked.v1"
    assert body["data"]["case_code"] == "HW-7KQ3-M9"

    deliveries = await notifications.call(
        "police-system", "GET", f"/v1/webhooks/subscriptions/{created['id']}/deliveries"
    )
    [delivery] = deliveries.json()
    assert delivery["status"] == "delivered" and delivery["attempts"] == 3
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 500, 204]


async def test_persistent_failure_disables_and_tells_agency_and_admins_then_replay(
    notifications: NotificationsHarness,
) -> None:
    async with webhook_receiver(always_fail=True) as receiver:
        created = await _subscribe(notifications, "police-system", receiver.url)
        receiver.secret = created["secret"]
        await publish(notifications.broker, *case_registered())
        # Work had started (no notice), then the referral was blocked and is unblocked now.
        await publish(notifications.broker, *referral_event("started"))
        await publish(notifications.broker, *referral_event("unblocked"))

        async def disabled() -> bool:
            response = await notifications.call(
                "admin", "GET", "/v1/webhooks/subscriptions", params={"status": "disabled"}
            )
            return [s["id"] for s in response.json()] == [created["id"]]

        await wait_for(disabled)
        assert len(receiver.requests) == 4  # webhook_max_attempts in the tests' settings
        health = await notifications.call("admin", "GET", "/v1/webhooks/health")
        assert health.json() == {
            "deliveries": {"failed": 1},
            "disabled_subscriptions": [created["id"]],
        }
        admin_items = await notifications.inbox("admin")
        assert admin_items[0]["event_type"] == "homeward.webhook_subscription.disabled"
        police_items = await notifications.inbox("police.riverton")
        assert "homeward.webhook_subscription.disabled" in [i["event_type"] for i in police_items]

        # The receiver is fixed; the partner enables the subscription and replays.
        receiver.always_fail = False
        enabled = await notifications.call(
            "police-system", "POST", f"/v1/webhooks/subscriptions/{created['id']}/enable"
        )
        assert enabled.json()["status"] == "active"
        deliveries = await notifications.call(
            "police-system", "GET", f"/v1/webhooks/subscriptions/{created['id']}/deliveries"
        )
        delivery_id = deliveries.json()[0]["id"]
        replay = await notifications.call(
            "admin", "POST", f"/v1/webhooks/deliveries/{delivery_id}/replay"
        )
        assert replay.status_code == 200

        async def replayed() -> bool:
            return len(receiver.accepted) == 1

        await wait_for(replayed)
        assert receiver.accepted[0]["headers"]["webhook-id"] == delivery_id
        assert receiver.accepted[0]["verified"]


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",
        "https://10.0.0.1/hooks",
        "https://192.168.1.10/hooks",
        "https://[::ffff:169.254.169.254]/x",
        "https://[fe80::1]/x",
        "ftp://partner.example/hooks",
        "https://user:pw@partner.example/hooks",
        "https://localhost.invalid/hooks",
    ],
)
async def test_internal_or_malformed_webhook_urls_are_refused(
    notifications: NotificationsHarness, url: str
) -> None:
    response = await notifications.call(
        "police-system", "POST", "/v1/webhooks/subscriptions", json={"url": url}
    )
    assert response.status_code == 422, response.text
    assert "refused" in response.json()["detail"]


async def test_loopback_is_refused_without_the_development_setting() -> None:
    from homeward.notifications.adapters.addresses import check_webhook_url
    from homeward.notifications.domain.webhooks import UnsafeTarget

    with pytest.raises(UnsafeTarget):
        await check_webhook_url("http://127.0.0.1:9/x", require_https=False, allow_loopback=False)
    with pytest.raises(UnsafeTarget):
        await check_webhook_url(
            "http://partner.example/x", require_https=True, allow_loopback=False
        )
    await check_webhook_url("http://127.0.0.1:9/x", require_https=False, allow_loopback=True)


async def test_a_partner_manages_only_its_own_agencys_subscriptions(
    notifications: NotificationsHarness,
) -> None:
    async with webhook_receiver() as receiver:
        police = await _subscribe(notifications, "police-system", receiver.url)
        admin_made = await _subscribe(
            notifications, "admin", receiver.url, agency_id="riverton-primary-school"
        )
    assert admin_made["agency_id"] == "riverton-primary-school"
    # A school cannot see, change or replay the police's subscription: 404, as if absent.
    for method, path in [
        ("GET", f"/v1/webhooks/subscriptions/{police['id']}"),
        ("POST", f"/v1/webhooks/subscriptions/{police['id']}/disable"),
        ("DELETE", f"/v1/webhooks/subscriptions/{police['id']}"),
        ("GET", f"/v1/webhooks/subscriptions/{police['id']}/deliveries"),
    ]:
        response = await notifications.call("school-system", method, path)
        assert response.status_code == 404, (method, path)
    school_list = await notifications.call("school-system", "GET", "/v1/webhooks/subscriptions")
    assert [s["id"] for s in school_list.json()] == [admin_made["id"]]
    # A school cannot register for another agency either: the body's agency is ignored.
    async with webhook_receiver() as receiver:
        own = await _subscribe(notifications, "school-system", receiver.url, agency_id=None)
    assert own["agency_id"] == "riverton-primary-school"
    for who in ("coordinator.riverton", "supervisor.riverton", "documents.riverton", "auditor"):
        response = await notifications.call(who, "GET", "/v1/webhooks/subscriptions")
        assert response.status_code == 403, who
    assert (
        await notifications.call("police-system", "GET", "/v1/webhooks/health")
    ).status_code == 403
