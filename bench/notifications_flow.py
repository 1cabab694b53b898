"""The notifications service against raw aiokafka, on the real Tansu broker, in one run.

- sustained events per second through routing into inboxes (the app's consumer: inbox check,
  read models, routing, an inbox item, one transaction per event) against raw aiokafka
  consume plus a bare batched insert of the same count;
- latency from a referral state change committed (`add_event` in an outbox, an `OutboxRelay`)
  to the Server-Sent Event at the coordinator (the app on uvicorn, an httpx streaming client),
  against raw produce-to-consume. Both fetch with `fetch_max_wait_ms` 100 (KafkaBroker's).

`BENCH_EVENTS` (default 2000) and `BENCH_LATENCY_SAMPLES` (default 200) size the run;
`BENCH_DATABASE_URL` picks PostgreSQL (default: SQLite files in a temporary folder).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from sqlalchemy import func
from sqlmodel import SQLModel, select

from bench.events_pipeline import _free_port, _p99, _report
from bench.intake_registration import scratch_url
from homeward.common.contracts.referrals import REFERRALS_TOPIC, ReferralAccepted
from homeward.common.db import Database
from homeward.common.events import CloudEvent, KafkaBroker, OutboxRelay, TansuBroker
from homeward.common.events.outbox import add_event
from homeward.common.events.schema import event_tables
from homeward.common.testing.idp import RunningIdentityProvider, running_identity_provider
from homeward.notifications.adapters.tables import NotificationRow
from homeward.notifications.app import CONSUMED_TOPICS, create_app
from homeward.notifications.settings import NotificationsSettings
from tests.notifications.helpers import serve

EVENTS = int(os.environ.get("BENCH_EVENTS", "2000"))
SAMPLES = int(os.environ.get("BENCH_LATENCY_SAMPLES", "200"))
FETCH_WAIT_MS = 100  # both sides: KafkaBroker's default
RAW_TOPIC = "homeward.bench.notifications-raw"
STALLED_S = 600
COORDINATOR = "coordinator.riverton"  # told of every accepted referral in Riverton
SUMMARY = "The agency accepted the referral"
BARE = sa.Table(  # the baseline's inbox: one row per event, nothing else
    "bench_inbox", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.String(64)), sa.Column("recipient", sa.String(200)),
    sa.Column("summary", sa.String(200)),
)  # fmt: skip


def accepted() -> ReferralAccepted:
    """A referral accepted in Riverton: routed to Riverton's coordinators, one inbox item."""
    return ReferralAccepted.model_validate(
        {"referral_id": uuid.uuid4(), "case_id": uuid.uuid4(), "case_code": "HW-7KQ3-M9",
         "municipality": "riverton", "person_id": uuid.uuid4(), "person_code": "P-4TXR-8N",
         "agency_id": "riverton-police", "agency_type": "police",
         "service_category": "legal-aid", "priority": "routine", "state": "accepted",
         "completion_due_at": datetime.now(UTC), "accepted_at": datetime.now(UTC)}
    )  # fmt: skip


async def produce(producer: AIOKafkaProducer, topic: str, count: int) -> None:
    """`count` accepted referrals, as the relay sends them (CloudEvents binary-mode records)."""
    records = [
        CloudEvent(id=str(uuid.uuid4()), type=e.event_type, source="/homeward/bench",
                   time=datetime.now(UTC), key=str(e.case_id), data=e.model_dump(mode="json"),
                   ).to_kafka() for e in (accepted() for _ in range(count))
    ]  # fmt: skip
    sent = [await producer.send(topic, r.value, key=r.key, headers=r.headers) for r in records]
    await asyncio.gather(*sent)


@asynccontextmanager
async def raw_consuming(
    bootstrap: str, group: str, on_batch: Callable[[list[ConsumerRecord]], Awaitable[None]]
) -> AsyncIterator[None]:
    """A bare aiokafka consumer loop in the background: fetch, hand over, commit offsets."""
    consumer = AIOKafkaConsumer(  # earliest: a warm-up record sent before the join counts
        RAW_TOPIC, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
        auto_offset_reset="earliest", fetch_max_wait_ms=FETCH_WAIT_MS,
        session_timeout_ms=2000, heartbeat_interval_ms=300,
    )  # fmt: skip
    await consumer.start()
    stopping = asyncio.Event()

    async def loop() -> None:
        while not stopping.is_set():  # stopped between batches, never mid-commit
            batch = await consumer.getmany(timeout_ms=500, max_records=500)
            await on_batch([record for records in batch.values() for record in records])
            await consumer.commit()

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        stopping.set()
        await task
        await consumer.stop()


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with (
            TansuBroker(port=_free_port()) as tansu,
            running_identity_provider() as idp,
            scratch_url(folder, "notifications") as app_url,
            scratch_url(folder, "referrals") as outbox_url,
            scratch_url(folder, "bare") as bare_url,
        ):
            await _run(tansu.bootstrap_servers, idp, app_url, outbox_url, bare_url)


async def _run(
    bootstrap: str, idp: RunningIdentityProvider, app_url: str, outbox_url: str, bare_url: str
) -> None:
    settings = NotificationsSettings(
        database_url=app_url, oidc_issuer=idp.issuer, kafka_bootstrap_servers=bootstrap,
        kafka_session_timeout_ms=2000, kafka_heartbeat_interval_ms=300,
        kafka_fetch_max_wait_ms=FETCH_WAIT_MS, stream_poll_interval_s=1.0,
    )  # fmt: skip
    broker = KafkaBroker.from_settings(settings)
    await broker.create_topics([*CONSUMED_TOPICS, RAW_TOPIC], 3)
    database = Database(app_url)
    app = create_app(settings, broker=broker, database=database, token_validator=idp.validator())
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    backend = database.url.get_backend_name()
    print(f"{EVENTS} events, {SAMPLES} latency samples, database {backend}")
    async with serve(app, lifespan="on") as base_url:
        print("Throughput (timed from the first produce to the last row written)")
        raw_rate = await _raw_consume_and_insert(bootstrap, producer, bare_url)

        async def routed() -> int:
            async with database.sessions() as session:
                query = select(func.count()).select_from(NotificationRow)
                return (await session.exec(query)).one()

        label = "notifications routing into inboxes"
        app_rate = await _sustained(label, producer, REFERRALS_TOPIC, routed)
        print(f"  routing / raw: {app_rate / raw_rate:.2f}")

        print("Latency")
        raw = await _raw_latency(bootstrap, producer)
        e2e = await _sse_latency(
            base_url, await idp.password_token(COORDINATOR), broker, outbox_url
        )
    _report("raw produce -> consume (baseline)", raw)
    _report("commit -> relay -> routing -> SSE", e2e)
    print(
        f"  p50 ratio: {statistics.median(e2e) / statistics.median(raw):.1f}, "
        f"p99 ratio: {_p99(e2e) / _p99(raw):.1f}"
    )
    await producer.stop()
    await database.dispose()


async def _sustained(
    label: str, producer: AIOKafkaProducer, topic: str, written: Callable[[], Awaitable[int]]
) -> float:
    """One event through the group join first (untimed), then EVENTS until all are written."""
    await produce(producer, topic, 1)
    await _until(written, 1)
    started = time.perf_counter()
    await produce(producer, topic, EVENTS)
    await _until(written, EVENTS + 1)
    elapsed = time.perf_counter() - started
    print(f"  {label:<46} {EVENTS / elapsed:>10,.0f} events/s  ({elapsed:.2f} s)", flush=True)
    return EVENTS / elapsed


async def _until(written: Callable[[], Awaitable[int]], count: int) -> None:
    deadline = time.monotonic() + STALLED_S
    while await written() < count:
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark stalled")
        await asyncio.sleep(0.01)


async def _raw_consume_and_insert(bootstrap: str, producer: AIOKafkaProducer, url: str) -> float:
    bare = Database(url)
    async with bare.engine.begin() as conn:
        await conn.run_sync(BARE.metadata.create_all)
    inserted = 0

    async def insert(records: list[ConsumerRecord]) -> None:
        nonlocal inserted
        rows = [{"event_id": dict(r.headers)["ce_id"].decode(), "summary": SUMMARY,
                 "recipient": "role:coordinator@riverton"} for r in records]  # fmt: skip
        if rows:
            async with bare.engine.begin() as conn:
                await conn.execute(BARE.insert(), rows)
            inserted += len(rows)

    async def written() -> int:
        return inserted

    async with raw_consuming(bootstrap, "bench-raw", insert):
        label = "raw aiokafka consume + batched insert"
        rate = await _sustained(label, producer, RAW_TOPIC, written)
    await bare.dispose()
    return rate


async def _latencies(arrived: dict, change: Callable[[], Awaitable[tuple[Any, float]]]) -> list:
    """Seconds from each change (`change` returns its key and its moment) to its arrival."""
    latencies = []
    for sequence in range(-1, SAMPLES):  # -1: warm-up
        key, started = await change()
        while key not in arrived:  # noqa: ASYNC110 (polling is what is being measured)
            await asyncio.sleep(0.0005)
        if sequence >= 0:
            latencies.append(arrived[key] - started)
    return latencies


async def _raw_latency(bootstrap: str, producer: AIOKafkaProducer) -> list[float]:
    arrived: dict[bytes, float] = {}

    async def note(records: list[ConsumerRecord]) -> None:
        arrived.update((record.value, time.perf_counter()) for record in records)

    async def send() -> tuple[bytes, float]:
        marker, sent = uuid.uuid4().bytes, time.perf_counter()
        await producer.send_and_wait(RAW_TOPIC, marker, key=b"case")
        return marker, sent

    async with raw_consuming(bootstrap, "bench-raw-latency", note):
        return await _latencies(arrived, send)


async def _sse_latency(base_url: str, token: str, broker: KafkaBroker, url: str) -> list[float]:
    outbox = Database(url)
    async with outbox.engine.begin() as conn:
        await conn.run_sync(lambda c: SQLModel.metadata.create_all(c, tables=event_tables()))
    producer = broker.producer("bench-referrals")
    await producer.start()
    relay = OutboxRelay(outbox, producer, "/homeward/referrals")
    await relay.start()
    arrived: dict[str, float] = {}

    async def commit() -> tuple[str, float]:
        event = accepted()
        async with outbox.transaction() as session:
            add_event(session, event, key=str(event.case_id))
        return str(event.referral_id), time.perf_counter()

    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(30, read=600)) as client,
        client.stream("GET", "/v1/notifications/stream", headers=headers) as stream,
    ):

        async def listen() -> None:
            async for line in stream.aiter_lines():
                if line.startswith("data: "):
                    arrived[json.loads(line[6:])["details"]["referral_id"]] = time.perf_counter()

        listening = asyncio.create_task(listen())
        latencies = await _latencies(arrived, commit)
        listening.cancel()
    await relay.stop()
    await producer.stop()
    await outbox.dispose()
    return latencies
