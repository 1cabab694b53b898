"""Notifications' audit trail: webhook subscription changes, replays and email opt-ins are
recorded for the agency concerned, by field name, never the address, URL or secret; only
auditors read it. (Filters, paging and the CSV are the shared implementation, tested on
intake's trail; append-only in the database: tests/common/test_audit.py.)"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from homeward.common.testing.kafka import wait_for
from tests.notifications.conftest import NotificationsHarness
from tests.notifications.helpers import case_registered, publish, referral_event, webhook_receiver

POLICE = "riverton-police"
SCHOOL = "riverton-primary-school"
ADDRESS = "head.teacher@school.riverton.example"
# Credentials in a webhook URL's query are common; they must stay out of the trail.
URL_TOKEN = "s3cr3t-query-token"


async def _actor(harness: NotificationsHarness, who: str) -> str:
    validator = harness.idp.validator()
    try:
        return (await validator.validate(await harness.token(who))).actor
    finally:
        await validator.aclose()


async def _trail(harness: NotificationsHarness, **params: str) -> list[dict[str, Any]]:
    response = await harness.call("auditor", "GET", "/v1/audit", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def _export(harness: NotificationsHarness, **params: str) -> str:
    response = await harness.call("auditor", "GET", "/v1/audit.csv", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return response.text


@pytest.mark.parametrize("path", ["/v1/audit", "/v1/audit.csv"])
async def test_the_trail_is_for_auditors_only(
    notifications: NotificationsHarness, path: str
) -> None:
    assert (await notifications.http.get(path)).status_code == 401
    bad_token = await notifications.http.get(path, headers={"Authorization": "Bearer nonsense"})
    assert bad_token.status_code == 401
    for who in ("coordinator.riverton", "supervisor.riverton", "documents.riverton",
                "school.riverton", "police-system", "admin"):  # fmt: skip
        response = await notifications.call(who, "GET", path)
        assert response.status_code == 403, (who, path)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert (await notifications.call("auditor", "GET", path)).status_code == 200


async def test_email_opt_in_and_out_are_audited_without_the_address(
    notifications: NotificationsHarness,
) -> None:
    for who, body in (
        ("school.riverton", {"address": ADDRESS}),
        ("school.riverton", {"address": ADDRESS, "locale": "kk"}),
        ("coordinator.riverton", {"address": "c@riverton.example"}),
    ):
        response = await notifications.call(who, "PUT", "/v1/me/email", json=body)
        assert response.status_code == 200, response.text
    response = await notifications.call("school.riverton", "DELETE", "/v1/me/email")
    assert response.status_code == 204

    school = await _actor(notifications, "school.riverton")
    entries = await _trail(notifications, actor=school)
    assert [(e["action"], e["agency_id"], e["municipality"], e["fields"]) for e in entries] == [
        ("email.opted_out", SCHOOL, "riverton", ["address", "locale"]),
        ("email.opted_in", SCHOOL, "riverton", ["address", "locale"]),
        ("email.opted_in", SCHOOL, "riverton", ["address", "locale"]),
    ]
    assert [e["agency_id"] for e in await _trail(notifications, action="email.opted_in")] == [
        None,  # the coordinator belongs to no agency
        SCHOOL,
        SCHOOL,
    ]
    listed = (await notifications.call("auditor", "GET", "/v1/audit")).text
    exported = await _export(notifications)
    for text in (listed, exported):
        assert ADDRESS not in text and "c@riverton.example" not in text


async def test_webhook_changes_and_replays_are_audited_for_the_agency(
    notifications: NotificationsHarness,
) -> None:
    async with webhook_receiver() as receiver:
        created = await notifications.call(
            "police-system", "POST", "/v1/webhooks/subscriptions",
            json={"url": f"{receiver.url}?token={URL_TOKEN}"},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        subscription = created.json()
        receiver.secret = subscription["secret"]
        await publish(notifications.broker, *case_registered())
        await publish(notifications.broker, *referral_event("sent"))

        async def delivered() -> bool:
            return len(receiver.accepted) == 1

        await wait_for(delivered)
        base = f"/v1/webhooks/subscriptions/{subscription['id']}"
        deliveries = await notifications.call("police-system", "GET", f"{base}/deliveries")
        [delivery] = deliveries.json()
        for who, method, path in (
            ("police-system", "POST", f"{base}/disable"),
            ("admin", "POST", f"{base}/enable"),
            ("admin", "POST", f"/v1/webhooks/deliveries/{delivery['id']}/replay"),
            ("police-system", "DELETE", base),
            ("police-system", "DELETE", base),  # already deleted: nothing changes
        ):
            response = await notifications.call(who, method, path)
            assert response.status_code in (200, 204), (who, path, response.text)

    police = await _actor(notifications, "police-system")
    admin = await _actor(notifications, "admin")
    entries = await _trail(notifications, agency_id=POLICE)
    assert [(e["action"], e["actor"], e["case_code"], e["fields"]) for e in entries] == [
        ("webhook.deleted", police, None, ["status"]),
        ("webhook.delivery_replayed", admin, "HW-7KQ3-M9", []),
        ("webhook.enabled", admin, None, ["status"]),
        ("webhook.disabled", police, None, ["status"]),
        ("webhook.created", police, None, ["event_types", "secret", "url"]),
    ]
    by_case = await _trail(notifications, case_code="HW-7KQ3-M9")
    assert [e["action"] for e in by_case] == ["webhook.delivery_replayed"]
    exported = await _export(notifications, agency_id=POLICE)
    assert [row["action"] for row in csv.DictReader(io.StringIO(exported))] == [
        e["action"] for e in entries
    ]
    listed = (await notifications.call("auditor", "GET", "/v1/audit")).text
    for text in (listed, exported):
        for kept_out in (URL_TOKEN, receiver.url, subscription["secret"]):
            assert kept_out not in text
