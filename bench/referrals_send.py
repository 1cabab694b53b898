"""Referral create + send through the real referrals app against a bare insert, in one run.

The read models are seeded first, untimed, the way production fills them: intake events (a
case, a mother and a child, an assessment, the child's consent to share education data with a
school) are published on an `InMemoryBroker` and applied by the app's own consumer. Then each
referral is two sequential requests, `POST /v1/referrals` (a draft) and `POST .../send`, each
validating the bearer token, checking the directory, consent and documents gates, and writing
the referral, its history, audit and outbox rows. The baseline is the bare FastAPI + SQLModel
insert endpoint of `bench.intake_registration`, two inserts per referral, driven the same way.

`BENCH_REFERRALS` (default 200) sizes the run; `BENCH_DATABASE_URL` picks PostgreSQL (a fresh
schema of its own, dropped afterwards; default: a SQLite file in a temporary folder).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import func
from sqlmodel import select

from bench.intake_registration import baseline_rate, scratch_url, timed
from homeward.common.db import Database
from homeward.common.events import InMemoryBroker
from homeward.common.events.inbox import ProcessedEvent
from homeward.common.testing.idp import running_identity_provider
from homeward.referrals.app import create_app
from homeward.referrals.settings import ReferralsSettings
from tests.referrals.helpers import Family, produce, referral_body

REFERRALS = int(os.environ.get("BENCH_REFERRALS", "200"))
WARMUP = 5  # as in bench.intake_registration.timed
COORDINATOR = "coordinator.riverton"
SEED_TIMEOUT_S = 300


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with running_identity_provider() as idp:
            token = await idp.password_token(COORDINATOR)
            async with scratch_url(folder, "referrals") as url:
                backend = "postgresql" if url.startswith("postgresql") else "sqlite"
                print(f"{REFERRALS} referrals (create draft + send), database {backend}")
                referral_rate = await _referrals_rate(url, idp, token)
            base_rate = await baseline_rate(folder, token, REFERRALS, "pairs", per_item=2)
    print(f"  referrals / baseline: {referral_rate / base_rate:.2f}")


async def _seed(broker: InMemoryBroker, database: Database, count: int) -> list[Family]:
    """Publish intake events for `count` families and wait until the consumer applied them."""
    producer = broker.producer("bench")
    await producer.start()
    families = [Family() for _ in range(count)]
    started = time.perf_counter()
    for family in families:
        for event in [*family.registered(), family.consent(family.child, "school", ["education"])]:
            await produce(producer, event)
    await producer.stop()
    expected = count * 5
    deadline = time.monotonic() + SEED_TIMEOUT_S
    while (applied := await _applied(database)) < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the consumer applied {applied} of {expected} seed events")
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - started
    print(f"  seeded {expected} intake events through the consumer in {elapsed:.2f} s (untimed)")
    return families


async def _applied(database: Database) -> int:
    async with database.session() as session:
        return (await session.exec(select(func.count()).select_from(ProcessedEvent))).one()


async def _referrals_rate(url: str, idp: Any, token: str) -> float:
    settings = ReferralsSettings(database_url=url, oidc_issuer=idp.issuer)
    broker, database = InMemoryBroker(), Database(url)
    app = create_app(
        settings, broker=broker, database=database, token_validator=idp.validator(),
        run_overdue_checker=False,
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    async with LifespanManager(app, startup_timeout=60):
        families = await _seed(broker, database, REFERRALS + WARMUP)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://referrals") as http:

            async def create_and_send(i: int) -> None:
                body = referral_body(families[i], send=False)  # warm-up: i < 0, from the end
                created = await http.post("/v1/referrals", json=body, headers=headers)
                assert created.status_code == 201, created.text
                assert created.json()["state"] == "draft", created.text
                path = f"/v1/referrals/{created.json()['id']}/send"
                sent = await http.post(path, json={}, headers=headers)
                assert sent.status_code == 200, sent.text
                assert sent.json()["state"] == "requested", sent.text

            label = "referrals POST create + POST send"
            rate = await timed(label, REFERRALS, "referrals", create_and_send)
    await database.dispose()
    return rate
