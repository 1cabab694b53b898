"""The live stream over a real HTTP server, resuming with Last-Event-ID; email over SMTP."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from homeward.common.testing.kafka import wait_for
from tests.notifications.conftest import NotificationsHarness
from tests.notifications.helpers import (
    case_registered,
    coordinator_assigned,
    publish,
    referral_event,
    serve,
)


async def _read_events(response: httpx.Response, count: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    async for line in response.aiter_lines():
        if line.startswith("id: "):
            current["id"] = line[4:]
        elif line.startswith("data: "):
            current["data"] = json.loads(line[6:])
        elif line == "" and "data" in current:
            events.append(current)
            current = {}
            if len(events) == count:
                return events
    raise AssertionError("stream ended early")


async def test_live_notification_arrives_and_reconnect_resumes_without_gaps(
    notifications: NotificationsHarness,
) -> None:
    await publish(notifications.broker, *case_registered())
    token = await notifications.token("coordinator.riverton")
    headers = {"Authorization": f"Bearer {token}"}
    async with serve(notifications.app) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        unauthenticated = await client.get("/v1/notifications/stream")
        assert unauthenticated.status_code == 401

        async with client.stream("GET", "/v1/notifications/stream", headers=headers) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            started = time.monotonic()
            await publish(notifications.broker, *coordinator_assigned())
            [first] = await asyncio.wait_for(_read_events(stream, 1), timeout=5)
            assert time.monotonic() - started < 1.0  # within a second of the event
        assert first["data"]["event_type"] == "homeward.case.coordinator_assigned.v1"

        # While disconnected, two more notifications arrive.
        await publish(notifications.broker, *referral_event("blocked"))
        await publish(notifications.broker, *referral_event("accepted"))

        async def both_in() -> bool:
            return len(await notifications.inbox("coordinator.riverton")) == 3

        await wait_for(both_in)
        resume = headers | {"Last-Event-ID": first["id"]}
        async with client.stream("GET", "/v1/notifications/stream", headers=resume) as stream:
            missed = await asyncio.wait_for(_read_events(stream, 2), timeout=5)
    assert [e["data"]["event_type"] for e in missed] == [
        "homeward.referral.blocked.v1",
        "homeward.referral.accepted.v1",
    ]
    assert [int(e["id"]) for e in missed] == sorted(int(e["id"]) for e in missed)
    assert int(missed[0]["id"]) > int(first["id"])


async def test_the_stream_ends_when_its_token_expires(notifications: NotificationsHarness) -> None:
    """A stream is no way around a token's expiry: it ends at `exp`, telling the client to
    come back with a fresh token (and `Last-Event-ID`); what arrives later waits for that."""
    await publish(notifications.broker, *case_registered())
    idp = notifications.idp
    short_lived = idp.sign(idp.valid_claims(exp=int(time.time()) + 2))
    headers = {"Authorization": f"Bearer {short_lived}"}
    async with serve(notifications.app) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        async with client.stream("GET", "/v1/notifications/stream", headers=headers) as stream:
            assert stream.status_code == 200
            lines = await asyncio.wait_for(_all_lines(stream), timeout=30)  # a guard only
        assert "event: token-expired" in lines
        await publish(notifications.broker, *coordinator_assigned())

        async def told() -> bool:
            return len(await notifications.inbox("coordinator.riverton")) == 1

        await wait_for(told)
    assert not any(line.startswith("event: notification") for line in lines)


async def _all_lines(response: httpx.Response) -> list[str]:
    return [line async for line in response.aiter_lines()]


async def test_stream_shows_only_the_callers_scope(notifications: NotificationsHarness) -> None:
    await publish(notifications.broker, *case_registered())
    lakeside = {"Authorization": f"Bearer {await notifications.token('coordinator.lakeside')}"}
    async with serve(notifications.app) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        async with client.stream(
            "GET", "/v1/notifications/stream", headers=lakeside | {"Last-Event-ID": "0"}
        ) as stream:
            await publish(notifications.broker, *coordinator_assigned())

            async def riverton_told() -> bool:
                return len(await notifications.inbox("coordinator.riverton")) == 1

            await wait_for(riverton_told)
            try:
                extra = await asyncio.wait_for(_read_events(stream, 1), timeout=0.6)
            except TimeoutError:
                extra = []
    assert extra == []
    auditor = {"Authorization": f"Bearer {await notifications.token('auditor')}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=notifications.app), base_url="http://n"
    ) as client:
        assert (await client.get("/v1/notifications/stream", headers=auditor)).status_code == 403


async def test_opted_in_coordinator_gets_an_email_with_code_event_and_link(
    notifications: NotificationsHarness, smtp: tuple[Any, int]
) -> None:
    collector, _ = smtp
    opt_in = await notifications.call(
        "coordinator.riverton", "PUT", "/v1/me/email", json={"address": "coord@riverton.example"}
    )
    assert opt_in.status_code == 200, opt_in.text
    assert opt_in.json()["roles"] == ["coordinator"]
    for who in ("documents.riverton", "auditor", "admin"):
        refused = await notifications.call(
            who, "PUT", "/v1/me/email", json={"address": "x@y.example"}
        )
        assert refused.status_code == 403, who
    bad = await notifications.call(
        "coordinator.riverton", "PUT", "/v1/me/email", json={"address": "not an address"}
    )
    assert bad.status_code == 422

    await publish(notifications.broker, *case_registered())
    await publish(notifications.broker, *coordinator_assigned())
    await publish(notifications.broker, *referral_event("rejected", reason_code="no-capacity"))

    async def two_emails() -> bool:
        return len(collector.messages) == 2

    await wait_for(two_emails)
    rejected = next(m for m in collector.messages if "rejected" in m["subject"])
    assert rejected["to"] == ["coord@riverton.example"]
    assert rejected["subject"] == "[HW-7KQ3-M9] The agency rejected the referral"
    assert "https://homeward.example/app/referrals/" in rejected["body"]

    gone = await notifications.call("coordinator.riverton", "DELETE", "/v1/me/email")
    assert gone.status_code == 204
    assert (
        await notifications.call("coordinator.riverton", "GET", "/v1/me/email")
    ).status_code == 404


async def test_partner_staff_opt_in_and_their_agency_s_referrals_reach_them_by_email(
    notifications: NotificationsHarness, smtp: tuple[Any, int]
) -> None:
    """A referral sent to the school reaches its opted-in staff: case code, service, the
    acceptance deadline and the console link; another agency's staff get nothing."""
    collector, _ = smtp
    for who, address in (("school.riverton", "school@riverton.example"),
                         ("police.riverton", "police@riverton.example")):  # fmt: skip
        opt_in = await notifications.call(who, "PUT", "/v1/me/email", json={"address": address})
        assert opt_in.status_code == 200, opt_in.text
    assert opt_in.json()["roles"] == ["partner"]
    assert opt_in.json()["agency_id"] == "riverton-police"

    sent = referral_event("sent", agency="riverton-primary-school", agency_type="school",
                          service_category="school-enrolment")  # fmt: skip
    await publish(notifications.broker, *sent)

    def partners() -> list[dict[str, Any]]:
        return [m for m in collector.messages if m["to"][0].endswith("@riverton.example")
                and not m["to"][0].startswith("coord")]  # fmt: skip

    async def emailed() -> bool:
        return len(partners()) >= 1

    await wait_for(emailed)
    [email] = partners()
    assert email["to"] == ["school@riverton.example"]
    assert email["subject"] == "[HW-7KQ3-M9] A referral was sent to your agency"
    body = email["body"]
    assert "Service: School enrolment" in body and "Due: 08.04.2025" in body
    assert "https://homeward.example/app/referrals/8c3d2e5a-0000-4000-8000-000000000004" in body
    assert "P-4TXR-8N" not in body  # the case code, the service, the date and a link only


async def test_a_russian_speaking_partner_is_emailed_in_russian(
    notifications: NotificationsHarness, smtp: tuple[Any, int]
) -> None:
    """The language asked for at opt-in (else the token's `locale` claim) writes the subject
    and every fixed line of the body; the case code, the date and the link stay as they are."""
    collector, _ = smtp
    police = await notifications.call(
        "police.riverton", "PUT", "/v1/me/email",
        json={"address": "police@riverton.example", "locale": "ru"},
    )  # fmt: skip
    assert police.status_code == 200, police.text
    assert police.json()["locale"] == "ru"
    claimed = await notifications.call(  # coordinator.lakeside's token says `locale: ru`
        "coordinator.lakeside", "PUT", "/v1/me/email", json={"address": "c@lakeside.example"}
    )
    assert claimed.json()["locale"] == "ru"
    unknown = await notifications.call(
        "police.riverton", "PUT", "/v1/me/email",
        json={"address": "police@riverton.example", "locale": "xx"},
    )  # fmt: skip
    assert unknown.status_code == 422
    sent = referral_event("sent", service_category="legal-aid", acceptance_due_at="2025-04-08")
    await publish(notifications.broker, *sent)

    async def emailed() -> bool:
        return len(collector.messages) >= 1

    await wait_for(emailed)
    [email] = collector.messages
    assert email["to"] == ["police@riverton.example"]
    assert email["subject"] == "[HW-7KQ3-M9] Вашей организации отправлено направление"
    body = email["body"]
    assert "Дело: HW-7KQ3-M9" in body and "Услуга: Юридическая помощь" in body
    assert "Срок: 08.04.2025" in body
    assert "Открыть в Homeward" in body
    assert "https://homeward.example/app/referrals/8c3d2e5a-0000-4000-8000-000000000004" in body
    assert "Case:" not in body and "Service:" not in body and "P-4TXR-8N" not in body
