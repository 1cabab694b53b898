"""The notification metrics move on the real delivery paths: a webhook receiver answering
204 or 500, an SMTP server that takes mail or is not there, inbox items routed from events.
No label carries a URL, an address, a case code or a user name."""

from __future__ import annotations

import re
from typing import Any

from prometheus_client import REGISTRY
from sqlalchemy import func
from sqlmodel import select

from homeward.common.testing.apps import running_service
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.common.testing.kafka import free_port, wait_for
from homeward.notifications.adapters.tables import EmailRow, NotificationRow
from homeward.notifications.app import create_app
from tests.notifications.conftest import NotificationsHarness, fast_settings
from tests.notifications.helpers import (
    PERSON,
    RIVERTON_CASE,
    case_registered,
    coordinator_assigned,
    publish,
    referral_event,
    webhook_receiver,
)

AGENCY = "riverton-police"  # the agency of the `police-system` client


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Deltas:
    """Samples read before and after: the registry is shared by every test of the process."""

    def __init__(self, *samples: tuple[str, dict[str, str]]) -> None:
        self.samples = samples
        self.before = [value(name, **labels) for name, labels in samples]

    def now(self) -> list[float]:
        return [
            value(name, **labels) - before
            for (name, labels), before in zip(self.samples, self.before, strict=True)
        ]


def deliveries(outcome: str) -> tuple[str, dict[str, str]]:
    return "homeward_webhook_deliveries_total", {"agency": AGENCY, "outcome": outcome}


def emails(outcome: str) -> tuple[str, dict[str, str]]:
    return "homeward_email_deliveries_total", {"outcome": outcome}


async def _subscribe(harness: NotificationsHarness, url: str) -> dict[str, Any]:
    response = await harness.call("police-system", "POST", "/v1/webhooks/subscriptions",
                                  json={"url": url})  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json()


async def test_webhook_answers_204_and_500_count_as_delivered_and_failed_attempts(
    notifications: NotificationsHarness,
) -> None:
    deltas = Deltas(
        deliveries("delivered"),
        deliveries("failed_attempt"),
        deliveries("gave_up"),
        ("homeward_webhook_attempt_duration_seconds_count", {"agency": AGENCY}),
    )
    async with webhook_receiver(fail_first=2) as receiver:
        receiver.secret = (await _subscribe(notifications, receiver.url))["secret"]
        await publish(notifications.broker, *case_registered())
        await publish(notifications.broker, *referral_event("sent"))

        async def delivered() -> bool:
            return deltas.now()[0] == 1

        await wait_for(delivered)
    assert [r["status"] for r in receiver.requests] == [500, 500, 204]
    assert deltas.now() == [1, 2, 0, 3]
    # Every outcome of the agency is a series from its first attempt on, give-ups at 0.
    assert REGISTRY.get_sample_value(*deliveries("gave_up")) is not None


async def test_a_webhook_that_keeps_failing_counts_its_give_up(
    notifications: NotificationsHarness,
) -> None:
    deltas = Deltas(deliveries("delivered"), deliveries("failed_attempt"), deliveries("gave_up"))
    async with webhook_receiver(always_fail=True) as receiver:
        receiver.secret = (await _subscribe(notifications, receiver.url))["secret"]
        await publish(notifications.broker, *case_registered())
        await publish(notifications.broker, *referral_event("sent"))

        async def gave_up() -> bool:
            return deltas.now()[2] == 1

        await wait_for(gave_up)
    assert len(receiver.requests) == 4  # webhook_max_attempts of the tests' settings
    assert deltas.now() == [0, 3, 1]


async def test_inbox_items_are_counted_by_kind_and_scope_once_committed(
    notifications: NotificationsHarness,
) -> None:
    kinds = {
        "referral.unblocked": ("user", "agency", "role"),
        "referral.rejected": ("user", "role"),
    }
    created = [
        ("homeward_notifications_created_total", {"kind": kind, "scope": scope})
        for kind, scopes in kinds.items()
        for scope in scopes
    ]
    deltas = Deltas(*created)
    await publish(notifications.broker, *case_registered())
    await publish(notifications.broker, *coordinator_assigned())
    # Sent first: the agency hears of an unblocking only of a referral in its hands.
    await publish(notifications.broker, *referral_event("sent"))
    await publish(notifications.broker, *referral_event("unblocked"))
    await publish(notifications.broker, *referral_event("rejected", reason_code="no-capacity"))

    async def stored() -> int:
        async with notifications.database.sessions() as session:
            return (
                await session.exec(
                    select(func.count())
                    .select_from(NotificationRow)
                    .where(
                        NotificationRow.event_type.in_(  # type: ignore[attr-defined]
                            ["homeward.referral.unblocked.v1", "homeward.referral.rejected.v1"]
                        )
                    )
                )
            ).one()

    async def both_routed() -> bool:
        return await stored() >= 3 and sum(deltas.now()) == await stored()

    await wait_for(both_routed)
    by_label = dict(
        zip([tuple(labels.values()) for _, labels in created], deltas.now(), strict=True)
    )
    assert by_label[("referral.unblocked", "agency")] == 1
    assert by_label[("referral.rejected", "user")] >= 1


async def test_emails_count_as_sent(
    notifications: NotificationsHarness, smtp: tuple[Any, int]
) -> None:
    collector, _ = smtp
    deltas = Deltas(emails("sent"), emails("failed_attempt"), emails("gave_up"))
    opt_in = await notifications.call("coordinator.riverton", "PUT", "/v1/me/email",
                                      json={"address": "coord@riverton.example"})  # fmt: skip
    assert opt_in.status_code == 200
    await publish(notifications.broker, *case_registered())
    await publish(notifications.broker, *coordinator_assigned())

    async def sent() -> bool:
        return len(collector.messages) >= 1 and deltas.now()[0] == len(collector.messages)

    await wait_for(sent)
    assert deltas.now()[1:] == [0, 0]


async def test_emails_to_an_absent_smtp_server_fail_then_are_given_up(
    database_url: str, identity_provider: RunningIdentityProvider
) -> None:
    settings = fast_settings(
        database_url=database_url,
        oidc_issuer=identity_provider.issuer,
        smtp_host="127.0.0.1",
        smtp_port=free_port(),  # nobody listens
        email_max_attempts=2,
    )
    deltas = Deltas(emails("sent"), emails("failed_attempt"), emails("gave_up"))
    async with running_service(create_app, settings, idp=identity_provider) as service:
        opt_in = await service.call("coordinator.riverton", "PUT", "/v1/me/email",
                                    json={"address": "coord@riverton.example"})  # fmt: skip
        assert opt_in.status_code == 200
        await publish(service.broker, *case_registered())
        await publish(service.broker, *coordinator_assigned())

        async def statuses() -> list[str]:
            async with service.database.sessions() as session:
                return list(await session.exec(select(EmailRow.status)))

        async def all_given_up() -> bool:
            found = await statuses()
            return bool(found) and set(found) == {"failed"} and deltas.now()[2] == len(found)

        await wait_for(all_given_up)
        queued = len(await statuses())
    # Each email: one failed attempt, then the last one, given up.
    assert deltas.now() == [0, queued, queued]


PERSONAL = [
    re.compile(r"HW-[0-9A-Z]{4}-[0-9A-Z]{2}"),  # a case code
    re.compile(r"P-[0-9A-Z]{4}-[0-9A-Z]{2}"),  # a person code
    re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),  # any id
    re.compile(r"://|@|127\.0\.0\.1"),  # a URL, an address, a host
    re.compile(r"coordinator\.|police\.|whsec_|msg_"),  # a user name, a secret, a message id
]


async def test_no_metric_label_carries_personal_data_ids_or_urls(
    notifications: NotificationsHarness,
) -> None:
    async with webhook_receiver() as receiver:
        subscription = await _subscribe(notifications, receiver.url)
        receiver.secret = subscription["secret"]
        await notifications.call("coordinator.riverton", "PUT", "/v1/me/email",
                                 json={"address": "coord@riverton.example"})  # fmt: skip
        await publish(notifications.broker, *case_registered())
        await publish(notifications.broker, *coordinator_assigned())
        await publish(notifications.broker, *referral_event("sent"))

        async def delivered() -> bool:
            return len(receiver.accepted) == 1

        await wait_for(delivered)
        # A path with an id in it is labelled by its template.
        path = f"/v1/webhooks/subscriptions/{subscription['id']}"
        assert (await notifications.call("police-system", "GET", path)).status_code == 200
    text_values = {
        value
        for family in REGISTRY.collect()
        if family.name.startswith("homeward_")
        for sample in family.samples
        for value in sample.labels.values()
    }
    assert "/v1/webhooks/subscriptions/{subscription_id}" in text_values
    leaks = sorted(v for v in text_values if any(p.search(v) for p in PERSONAL))
    assert not leaks
    for secret in (RIVERTON_CASE, PERSON, receiver.url, subscription["id"]):
        assert not any(secret in v for v in text_values)
