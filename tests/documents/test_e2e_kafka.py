"""End to end on the real broker (Tansu): intake announces a child, referrals blocks a school
referral on the birth certificate, documents raises a task; the officer records the
certificate as issued; ReadinessChanged (school-enrolment ready) goes out on the topic and
the task closes itself."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from homeward.common.contracts.documents import DOCUMENTS_RECORDS_TOPIC
from homeward.common.contracts.intake import INTAKE_CASES_TOPIC
from homeward.common.contracts.referrals import REFERRALS_TOPIC
from homeward.common.db import Database
from homeward.common.events import KafkaBroker, Message
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.documents.app import create_app
from homeward.documents.settings import DocumentsSettings
from tests.documents.helpers import (
    cloud_event,
    issued_body,
    person_added,
    referral_blocked,
    wait_for,
)

pytestmark = pytest.mark.kafka
OFFICER = "documents.riverton"


@contextlib.asynccontextmanager
async def topic_reader(broker: KafkaBroker, topic: str) -> AsyncIterator[list[Message]]:
    """Collects every message of `topic` in the background while the block runs."""
    seen: list[Message] = []
    reader = broker.consumer([topic], None, "e2e-reader")
    await reader.start()

    async def collect() -> None:
        while True:
            seen.extend(await reader.getmany(timeout_ms=200, max_records=500))

    task = asyncio.create_task(collect())
    try:
        yield seen
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await reader.stop()


async def test_school_referral_unblocks_when_the_birth_certificate_is_issued(
    database_url: str, identity_provider: RunningIdentityProvider, kafka_bootstrap: str
) -> None:
    settings = DocumentsSettings(
        database_url=database_url,
        oidc_issuer=identity_provider.issuer,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_session_timeout_ms=2000,
        kafka_heartbeat_interval_ms=300,
        relay_poll_interval_s=0.05,
        expiry_check_enabled=False,
    )
    broker = KafkaBroker.from_settings(settings)
    await broker.create_topics([INTAKE_CASES_TOPIC, REFERRALS_TOPIC, DOCUMENTS_RECORDS_TOPIC], 3)
    app = create_app(settings, database=Database(database_url),
                     token_validator=identity_provider.validator())  # fmt: skip
    token = await identity_provider.password_token(OFFICER)
    auth = {"Authorization": f"Bearer {token}"}
    child = person_added(age_group="child")
    blocked = referral_blocked(child, missing=[["birth-certificate"]])

    async with (
        LifespanManager(app, startup_timeout=60),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://d") as http,
        topic_reader(broker, DOCUMENTS_RECORDS_TOPIC) as documents_topic,
    ):
        producer = broker.producer("e2e-upstream")
        await producer.start()
        try:
            for event in (child, blocked):
                record = cloud_event(event, key=str(event.case_id)).to_kafka()
                await producer.send(event.topic, key=record.key, value=record.value,
                                    headers=record.headers)  # fmt: skip
        finally:
            await producer.stop()

        async def open_task() -> list[dict]:
            response = await http.get("/v1/tasks", headers=auth)
            return [t for t in response.json()["items"]
                    if t["referral_id"] == str(blocked.referral_id)]  # fmt: skip

        async def raised() -> bool:
            return len(await open_task()) == 1

        await wait_for(raised, timeout_s=30)
        records_path = f"/v1/persons/{child.person_id}/records"

        async def person_known() -> bool:
            # Intake and referrals are different topics: the block may arrive first.
            return (await http.get(records_path, headers=auth)).status_code == 200

        await wait_for(person_known, timeout_s=30)
        records = (await http.get(records_path, headers=auth)).json()
        certificate = next(r for r in records["records"]
                           if r["document_type"] == "birth-certificate")  # fmt: skip
        response = await http.post(f"/v1/records/{certificate['id']}/status",
                                   json=issued_body(), headers=auth)  # fmt: skip
        assert response.status_code == 200, response.text

        def readiness_events() -> list[dict]:
            return [
                json.loads(m.value) for m in documents_topic
                if m.header("ce_type") == b"homeward.readiness.changed.v1"
                and json.loads(m.value)["person_id"] == str(child.person_id)
            ]  # fmt: skip

        async def school_ready() -> bool:
            return any("school-enrolment" in e["ready_categories"] for e in readiness_events())

        await wait_for(school_ready, timeout_s=30)

        async def task_closed() -> bool:
            return not await open_task() and any(
                m.header("ce_type") == b"homeward.documentation_task.closed.v1"
                and json.loads(m.value)["referral_id"] == str(blocked.referral_id)
                for m in documents_topic
            )

        await wait_for(task_closed, timeout_s=30)
        assert "BC-2025" not in b"".join(m.value for m in documents_topic).decode()
