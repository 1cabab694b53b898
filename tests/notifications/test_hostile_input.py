"""What an attacker's review sent: numbers beyond 64 bits, URLs that break parsers, webhook
targets that hide internal addresses, a deleted subscription brought back. 422 or 409, never
a 500, and nothing is sent where it must not go."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from homeward.common.testing.apps import running_service
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.common.testing.kafka import wait_for
from homeward.notifications.adapters.addresses import UrlPolicy
from homeward.notifications.app import create_app
from homeward.notifications.domain.webhooks import UnsafeTarget, check_addresses
from tests.notifications.conftest import NotificationsHarness, fast_settings
from tests.notifications.helpers import case_registered, publish, referral_event, webhook_receiver

TOO_BIG = str(2**63)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/v1/notifications/{TOO_BIG}"),
        ("POST", f"/v1/notifications/{TOO_BIG}/read"),
        ("POST", f"/v1/notifications/{TOO_BIG}/acknowledge"),
        ("GET", "/v1/notifications/0"),
        ("GET", f"/v1/notifications/{2**31}"),  # beyond PostgreSQL's INTEGER
        ("GET", "/v1/notifications/99999999999999999999999999999999"),
    ],
)
async def test_notification_ids_beyond_64_bits_are_422(
    notifications: NotificationsHarness, method: str, path: str
) -> None:
    response = await notifications.call("coordinator.riverton", method, path)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "last_event_id", ["99999999999999999999", TOO_BIG, str(2**31), "-1", "abc"]
)
async def test_a_last_event_id_that_names_no_notification_is_422(
    notifications: NotificationsHarness, last_event_id: str
) -> None:
    response = await notifications.call(
        "coordinator.riverton",
        "GET",
        "/v1/notifications/stream",
        headers={"Last-Event-ID": last_event_id},
    )
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1/hooks",  # an unclosed IPv6 literal
        "https://" + "a" * 64 + ".example/hooks",  # a label IDNA refuses (over 63 octets)
        "https://xn--a.example/hooks",  # an invalid punycode label
        "https://exa\u200bmple.com/hooks",  # a zero-width space
        "https://partner.example:99999/hooks",
    ],
)
async def test_webhook_urls_that_break_parsers_are_422(
    notifications: NotificationsHarness, url: str
) -> None:
    response = await notifications.call(
        "police-system", "POST", "/v1/webhooks/subscriptions", json={"url": url}
    )
    assert response.status_code == 422, response.text
    assert "refused" in response.json()["detail"]


EMBEDDING_INTERNAL = [
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b:1::7f00:1",  # local-use NAT64 of 127.0.0.1
    "::ffff:10.0.0.1",  # IPv4-mapped
    "::10.0.0.1",  # IPv4-compatible
]


@pytest.mark.parametrize("address", EMBEDDING_INTERNAL)
def test_ipv6_addresses_embedding_internal_ipv4_are_refused(address: str) -> None:
    with pytest.raises(UnsafeTarget):
        check_addresses([address], allow_loopback=False)


def test_public_addresses_pass_even_when_embedded() -> None:
    check_addresses(["2002:5db8:d822::1", "64:ff9b::5db8:d822", "93.184.216.34"],
                    allow_loopback=False)  # fmt: skip


@pytest.mark.parametrize("address", EMBEDDING_INTERNAL[1:3])  # the tests allow loopback
async def test_webhook_urls_with_embedded_internal_addresses_are_refused(
    notifications: NotificationsHarness, address: str
) -> None:
    response = await notifications.call(
        "police-system",
        "POST",
        "/v1/webhooks/subscriptions",
        json={"url": f"https://[{address}]/x"},
    )
    assert response.status_code == 422, response.text


class CountingResolver:
    """A DNS that knows one name; the system's resolver knows nothing under `.test`, so a
    delivery reaches the receiver only if it connects to the address this one answered."""

    def __init__(self, addresses: dict[str, str]) -> None:
        self.addresses = addresses
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        return [self.addresses[host]]


@pytest.fixture
async def pinned(
    database_url: str, identity_provider: RunningIdentityProvider
) -> AsyncIterator[tuple[NotificationsHarness, CountingResolver]]:
    resolver = CountingResolver({"hooks.partner.test": "127.0.0.1"})
    settings = fast_settings(database_url=database_url, oidc_issuer=identity_provider.issuer)

    def wired(*args: Any, **kwargs: Any) -> Any:
        return create_app(*args, webhook_resolver=resolver, **kwargs)

    async with running_service(wired, settings, idp=identity_provider) as service:
        yield NotificationsHarness(**vars(service)), resolver


async def test_a_delivery_connects_to_the_address_that_was_checked(
    pinned: tuple[NotificationsHarness, CountingResolver],
) -> None:
    harness, resolver = pinned
    async with webhook_receiver() as receiver:
        port = receiver.url.rsplit(":", 1)[1].split("/")[0]
        url = f"http://hooks.partner.test:{port}/hooks"
        created = await harness.call(
            "police-system", "POST", "/v1/webhooks/subscriptions", json={"url": url}
        )
        assert created.status_code == 201, created.text
        receiver.secret = created.json()["secret"]
        await publish(harness.broker, *case_registered())
        await publish(harness.broker, *referral_event("sent"))

        async def delivered() -> bool:
            return len(receiver.accepted) == 1

        await wait_for(delivered)
    [request] = receiver.requests
    assert request["host"] == f"hooks.partner.test:{port}"  # the name, not the IP
    assert request["verified"]
    # Once when subscribing, once before the delivery: no second look-up between check and
    # connection for DNS to answer differently.
    assert resolver.calls == ["hooks.partner.test", "hooks.partner.test"]


async def test_a_deleted_subscription_is_final(notifications: NotificationsHarness) -> None:
    async with webhook_receiver() as receiver:
        created = await notifications.call(
            "police-system", "POST", "/v1/webhooks/subscriptions", json={"url": receiver.url}
        )
        subscription = created.json()["id"]
        path = f"/v1/webhooks/subscriptions/{subscription}"
        assert (await notifications.call("police-system", "DELETE", path)).status_code == 204
        for who in ("police-system", "admin"):
            for action in ("enable", "disable"):
                again = await notifications.call(who, "POST", f"{path}/{action}")
                assert again.status_code == 409, (who, action, again.text)
                assert again.headers["content-type"] == "application/problem+json"
        assert (await notifications.call("police-system", "GET", path)).json()["status"] == (
            "deleted"
        )
        assert (await notifications.call("police-system", "DELETE", path)).status_code == 204

        # Events for the agency go to its inbox, never to the deleted subscription.
        await publish(notifications.broker, *case_registered())
        await publish(notifications.broker, *referral_event("sent"))

        async def told() -> bool:
            return len(await notifications.inbox("police-system")) == 1

        await wait_for(told)
        deliveries = await notifications.call("police-system", "GET", f"{path}/deliveries")
        assert deliveries.json() == []
    assert receiver.requests == []


async def test_a_target_keeps_the_urls_host_for_the_header_and_tls() -> None:
    async def public(host: str, port: int) -> list[str]:
        return ["2606:2800:220:1:248:1893:25c8:1946"]

    policy = UrlPolicy(require_https=True, allow_loopback=False, resolve=public)
    target = await policy.target("https://B\u00fccher.example/hooks?x=1")
    assert target.connect_url == "https://[2606:2800:220:1:248:1893:25c8:1946]:443/hooks?x=1"
    assert target.host_header == "xn--bcher-kva.example"
    assert target.request_extensions == {"sni_hostname": "xn--bcher-kva.example"}
    other_port = await policy.target("https://partner.example:8443/")
    assert other_port.host_header == "partner.example:8443"


async def test_the_largest_notification_id_is_simply_not_found(
    notifications: NotificationsHarness,
) -> None:
    response = await notifications.call(
        "coordinator.riverton", "GET", f"/v1/notifications/{2**31 - 1}"
    )
    assert response.status_code == 404, response.text
