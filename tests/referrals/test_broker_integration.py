"""Through the real broker: intake and documents events produced on Kafka (Tansu) unblock
referrals in the running referrals app, and its own events reach the referrals topic."""

from __future__ import annotations

from sqlmodel import select

from homeward.common.events import KafkaBroker
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.common.testing.kafka import wait_for
from homeward.referrals.adapters.tables import KnownReadiness
from tests.referrals.conftest import make_settings, running_referrals
from tests.referrals.helpers import Family, produce, referral_body

MISSING_BIRTH = {"school-enrolment": [["birth-certificate", "guardianship-order"]]}


async def test_gates_open_when_events_arrive_on_kafka(
    database_url: str, identity_provider: RunningIdentityProvider, kafka_bootstrap: str
) -> None:
    settings = make_settings(
        database_url, identity_provider.issuer, kafka_bootstrap_servers=kafka_bootstrap,
        kafka_session_timeout_ms=2000, kafka_heartbeat_interval_ms=300,
    )  # fmt: skip
    family = Family()
    broker = KafkaBroker.from_settings(settings)
    async with running_referrals(settings, idp=identity_provider, broker=broker) as harness:
        producer = harness.producer
        for event in [
            *family.registered(),
            family.readiness(family.child, ready=[], missing=MISSING_BIRTH),
        ]:
            await produce(producer, event)

        async def readiness_known() -> bool:
            # Readiness is the last of these events in the case's partition (key = case id).
            async with harness.database.session() as session:
                found = await session.exec(
                    select(KnownReadiness).where(KnownReadiness.person_id == family.child)
                )
                return found.first() is not None

        await wait_for(readiness_known, timeout_s=60)
        created = await harness.call("coordinator.riverton", "POST", "/v1/referrals",
                                     json=referral_body(family))  # fmt: skip
        assert created.status_code == 201, created.text
        referral_id = created.json()["id"]

        async def state_and_gates() -> tuple[str, list[str]]:
            body = (await harness.call("coordinator.riverton", "GET",
                                       f"/v1/referrals/{referral_id}")).json()  # fmt: skip
            return body["state"], body["blocked_on"]

        async def blocked_on(expected: list[str]) -> bool:
            return (await state_and_gates())[1] == expected

        await wait_for(lambda: blocked_on(["consent", "documents"]), timeout_s=30)
        await produce(producer, family.consent(family.child, "school", ["education"]))
        await wait_for(lambda: blocked_on(["documents"]), timeout_s=30)
        await produce(producer, family.readiness(family.child, ready=["school-enrolment"],
                                                 missing={}))  # fmt: skip
        await wait_for(lambda: blocked_on([]), timeout_s=30)
        assert await state_and_gates() == ("requested", [])

        async def relayed() -> bool:
            published = [row for row in await harness.outbox() if row.published_at]
            return {"homeward.referral.unblocked.v1", "homeward.referral.sent.v1"} <= {
                row.type for row in published
            }

        await wait_for(relayed, timeout_s=30)
