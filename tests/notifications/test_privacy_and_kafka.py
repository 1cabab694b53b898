"""No personal data in any channel, through a whole scenario that starts in intake with
known names and ID numbers; and the routing consumer on the real broker (Tansu)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlmodel import select

from homeward.common.db import Database
from homeward.common.events import KafkaBroker
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.common.testing.kafka import wait_for
from homeward.intake.app import create_app as create_intake_app
from homeward.intake.settings import IntakeSettings
from homeward.notifications.adapters.tables import EmailRow
from homeward.notifications.app import create_app
from tests.intake.intake_helpers import FAMILY_SECRETS, family
from tests.notifications.conftest import NotificationsHarness, fast_settings
from tests.notifications.helpers import (
    case_registered,
    coordinator_assigned,
    publish,
    referral_event,
    webhook_receiver,
)


async def test_scenario_with_known_identities_leaks_none_into_any_channel(
    notifications: NotificationsHarness,
    identity_provider: RunningIdentityProvider,
    smtp: tuple[Any, int],
    tmp_path: Path,
) -> None:
    collector, _ = smtp
    # Intake, on the same bus, registers the family with names and ID numbers.
    intake_db = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    intake_app = create_intake_app(
        IntakeSettings(
            database_url=intake_db,
            oidc_issuer=identity_provider.issuer,
            relay_poll_interval_s=0.05,
        ),
        broker=notifications.broker,
        database=Database(intake_db),
        token_validator=identity_provider.validator(),
    )
    await notifications.call(
        "coordinator.riverton", "PUT", "/v1/me/email", json={"address": "c@riverton.example"}
    )
    async with webhook_receiver() as receiver:
        created = await notifications.call(
            "police-system", "POST", "/v1/webhooks/subscriptions", json={"url": receiver.url}
        )
        receiver.secret = created.json()["secret"]
        async with LifespanManager(intake_app, startup_timeout=60):
            token = await identity_provider.password_token("coordinator.riverton")
            headers = {"Authorization": f"Bearer {token}"}
            transport = httpx.ASGITransport(app=intake_app)
            async with httpx.AsyncClient(transport=transport, base_url="http://intake") as intake:
                case = (await intake.post("/v1/cases", json=family(), headers=headers)).json()
                assigned = await intake.put(
                    f"/v1/cases/{case['id']}/coordinator",
                    json={"coordinator": "coordinator.riverton"},
                    headers=headers,
                )
                assert assigned.status_code == 200, assigned.text

                async def assignment_arrived() -> bool:
                    return len(await notifications.inbox("coordinator.riverton")) == 1

                await wait_for(assignment_arrived)
        # Referral events for that case, one of them from a careless producer that slipped
        # a name and an ID number into fields no contract has.
        mother = case["persons"][0]["id"]
        for verb in ("sent", "accepted", "blocked", "unblocked"):
            event_type, data = referral_event(verb, case_id=case["id"], case_code=case["code"],
                                              person_id=mother)  # fmt: skip
            data |= {"note": "Zaynab Qorvath-Elmira", "national_id": "NID-88412093"}
            await publish(notifications.broker, event_type, data, key=case["id"])

        async def all_channels_done() -> bool:
            async with notifications.database.sessions() as session:
                emails = (await session.exec(select(EmailRow))).all()
            return (
                len(receiver.accepted) == 2  # sent + unblocked reach the police
                and len(emails) == 4  # assigned, accepted, blocked, unblocked for the coordinator
                and len(collector.messages) == len(emails)
            )

        await wait_for(all_channels_done)

    seen: list[str] = []
    for who in ("coordinator.riverton", "police.riverton"):
        seen.append(json.dumps(await notifications.inbox(who)))
    seen += [request["body"] for request in receiver.requests]
    seen += [f"{m['raw']}\n{m['subject']}\n{m['body']}" for m in collector.messages]  # decoded too
    everything = "\n".join(seen)
    assert case["code"] in everything
    leaks = [secret for secret in FAMILY_SECRETS if secret in everything]
    assert leaks == []


@pytest.mark.kafka
async def test_routing_through_the_real_broker(
    database_url: str, identity_provider: RunningIdentityProvider, kafka_bootstrap: str
) -> None:
    settings = fast_settings(
        database_url=database_url,
        oidc_issuer=identity_provider.issuer,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_session_timeout_ms=2000,
        kafka_heartbeat_interval_ms=300,
    )
    broker = KafkaBroker.from_settings(settings)
    app = create_app(
        settings, broker=broker, database=Database(database_url),
        token_validator=identity_provider.validator(),
    )  # fmt: skip
    async with LifespanManager(app, startup_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://n") as http:
            token = await identity_provider.password_token("coordinator.riverton")
            headers = {"Authorization": f"Bearer {token}"}
            # Unique ids: the topics live for the whole test session.
            case_id = str(uuid.uuid4())
            event_type, data = case_registered(case_id=case_id)
            await publish(broker, event_type, data)
            event_type, data = coordinator_assigned(case_id=case_id)
            await publish(broker, event_type, data, event_id="kafka-dup-" + case_id)
            await publish(broker, event_type, data, event_id="kafka-dup-" + case_id)
            referral_id = str(uuid.uuid4())
            event_type, data = referral_event("accepted", case_id=case_id, referral_id=referral_id)
            await publish(broker, event_type, data)

            async def this_tests_items() -> list[dict]:
                # The topics live for the whole session: other tests' events route here too.
                response = await http.get("/v1/notifications", headers=headers)
                mine = (case_id, referral_id)
                return [i for i in response.json()["items"] if i["link"].endswith(mine)]

            async def arrived() -> bool:
                return len(await this_tests_items()) == 2

            await wait_for(arrived, timeout_s=30)
            items = await this_tests_items()
    # Two topics: Kafka orders each, not the two together.
    assert sorted(i["event_type"] for i in items) == [
        "homeward.case.coordinator_assigned.v1",
        "homeward.referral.accepted.v1",
    ]
