"""The events library against raw aiokafka, on the real Tansu broker, in one run.

- outbox relay throughput (committed outbox rows -> acknowledged by Kafka) against raw
  aiokafka produce of the same messages;
- consumer runner throughput (envelope parsing, inbox check and insert, handler, commit, one
  transaction per event) against raw aiokafka consume of the same messages;
- end-to-end latency from the commit of a state change to its handler in another consumer,
  against raw produce-to-consume latency.

`BENCH_EVENTS` (default 5000) and `BENCH_LATENCY_SAMPLES` (default 300) size the run;
`BENCH_DATABASE_URL` picks the database (default: a SQLite file in a temporary folder).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlmodel import SQLModel

from homeward.common.db import Database
from homeward.common.events import (
    CloudEvent,
    EventConsumer,
    EventContract,
    KafkaBroker,
    OutboxRelay,
    TansuBroker,
    add_event,
    event_contract,
    event_tables,
)
from homeward.common.testing.ports import free_port

EVENTS = int(os.environ.get("BENCH_EVENTS", "5000"))
SAMPLES = int(os.environ.get("BENCH_LATENCY_SAMPLES", "300"))
TOPIC = "homeward.bench.measurements"
RAW_TOPIC = "homeward.bench.raw"
KEYS = [f"case-{i}" for i in range(64)]
FETCH_WAIT_MS = 100  # the same for the baseline and for KafkaBroker (its default)


@event_contract("homeward.bench.measured.v1", topic=TOPIC)
class Measured(EventContract):
    sequence: int
    sent_at: float
    case_code: str = "HW-7KQ3-M9"
    municipality: str = "riverton"


def _raw_record(sequence: int, sent_at: float = 0.0) -> tuple[bytes, bytes, list]:
    """The same bytes the relay sends: a CloudEvents binary-mode record."""
    event = CloudEvent(
        id=f"raw-{sequence}",
        type=Measured.event_type,
        source="/homeward/bench",
        subject=None,
        time=datetime.now(UTC),
        data=Measured(sequence=sequence, sent_at=sent_at).model_dump(mode="json"),
        key=KEYS[sequence % len(KEYS)],
        traceparent=None,
    )
    record = event.to_kafka()
    return record.key, record.value, record.headers


async def _timed(label: str, count: int, work: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await work()
    elapsed = time.perf_counter() - started
    rate = count / elapsed
    print(f"  {label:<46} {rate:>10,.0f} events/s  ({elapsed:.2f} s)", flush=True)
    return rate


async def _stage(database: Database, count: int, *, first: int = 0) -> None:
    for start in range(first, first + count, 500):
        async with database.transaction() as session:
            for sequence in range(start, min(start + 500, first + count)):
                event = Measured(sequence=sequence, sent_at=0.0)
                add_event(session, event, key=KEYS[sequence % len(KEYS)])


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(folder) / 'bench.db'}"
        async with TansuBroker(port=free_port()) as tansu:
            await _run(tansu.bootstrap_servers, url)


async def _run(bootstrap: str, database_url: str) -> None:
    broker = KafkaBroker(
        bootstrap_servers=bootstrap, session_timeout_ms=2000, heartbeat_interval_ms=300
    )
    await broker.create_topics([TOPIC, RAW_TOPIC, "homeward.bench.deadletter"], 3)
    database = Database(database_url)
    async with database.engine.begin() as conn:
        await conn.run_sync(lambda c: SQLModel.metadata.create_all(c, tables=event_tables()))
    print(f"{EVENTS} events, {SAMPLES} latency samples, database {database.url.get_backend_name()}")

    print("Publishing")
    raw_producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await raw_producer.start()
    records = [_raw_record(i) for i in range(EVENTS)]

    async def raw_produce() -> None:
        pending = [
            await raw_producer.send(RAW_TOPIC, value, key=key, headers=headers)
            for key, value, headers in records
        ]
        await asyncio.gather(*pending)

    raw_rate = await _timed("raw aiokafka produce (baseline)", EVENTS, raw_produce)
    await _stage(database, EVENTS)
    producer = broker.producer("homeward-bench")
    await producer.start()
    relay = OutboxRelay(database, producer, "/homeward/bench", batch_size=500)

    async def relay_all() -> None:
        published = 0
        while published < EVENTS:
            published += await relay.publish_pending()

    relay_rate = await _timed("outbox relay (commit -> acked)", EVENTS, relay_all)
    print(f"  relay / raw: {relay_rate / raw_rate:.2f}")

    print("Consuming (timed from the first message to the last: the group join is excluded)")
    raw_arrivals: list[float] = []
    raw_consumer = AIOKafkaConsumer(
        RAW_TOPIC,
        bootstrap_servers=bootstrap,
        group_id="bench-raw",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=2000,
        heartbeat_interval_ms=300,
        fetch_max_wait_ms=FETCH_WAIT_MS,
    )
    await raw_consumer.start()
    while len(raw_arrivals) < EVENTS:
        batch = await raw_consumer.getmany(timeout_ms=500, max_records=500)
        count = sum(len(messages) for messages in batch.values())
        raw_arrivals.extend([time.perf_counter()] * count)
        await raw_consumer.commit()
    await raw_consumer.stop()
    raw_consume_rate = _rate("raw aiokafka consume + commit (baseline)", raw_arrivals)

    handled: list[float] = []
    handled_at: dict[int, float] = {}

    async def record(session, event, envelope) -> None:
        now = time.perf_counter()
        handled.append(now)
        if event.sent_at:  # a latency sample
            handled_at[event.sequence] = now

    def runner(group: str) -> EventConsumer:
        return EventConsumer(
            broker,
            database,
            group_id=group,
            topics=[TOPIC],
            handlers={Measured.event_type: record},
            dead_letter_topic="homeward.bench.deadletter",
            service="bench",
            batch_size=500,
        )

    consumer = runner("bench-runner")
    await consumer.open()
    while len(handled) < EVENTS:
        await consumer.run_once(timeout_ms=500)
    await consumer.close()
    runner_rate = _rate("consumer runner with inbox", handled)
    print(f"  runner / raw: {runner_rate / raw_consume_rate:.2f}")

    print("Latency")
    raw_latencies = await _raw_latency(bootstrap, raw_producer)
    e2e_latencies = await _pipeline_latency(database, relay, runner("bench-latency"), handled_at)
    _report("raw produce -> consume (baseline)", raw_latencies)
    _report("commit -> relay -> Kafka -> handler", e2e_latencies)
    print(
        f"  p50 ratio: {statistics.median(e2e_latencies) / statistics.median(raw_latencies):.1f}, "
        f"p99 ratio: {_p99(e2e_latencies) / _p99(raw_latencies):.1f}"
    )
    await raw_producer.stop()
    await producer.stop()
    await database.dispose()


async def _raw_latency(bootstrap: str, producer: AIOKafkaProducer) -> list[float]:
    """Same shape as the pipeline: a consumer loop in the background, one message at a time."""
    consumer = AIOKafkaConsumer(
        RAW_TOPIC,
        bootstrap_servers=bootstrap,
        group_id="bench-raw-latency",
        enable_auto_commit=False,
        auto_offset_reset="latest",
        session_timeout_ms=2000,
        heartbeat_interval_ms=300,
        fetch_max_wait_ms=FETCH_WAIT_MS,
    )
    await consumer.start()
    arrived: dict[bytes, float] = {}

    async def consume() -> None:
        while True:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                for message in messages:
                    arrived[message.value] = time.perf_counter()
            await consumer.commit()

    consuming = asyncio.create_task(consume())
    latencies = []
    for sequence in range(-1, SAMPLES):  # -1: warm-up through the group join
        marker = f"latency-{sequence}".encode()
        sent = time.perf_counter()
        await producer.send_and_wait(RAW_TOPIC, marker, key=KEYS[0].encode())
        while marker not in arrived:  # noqa: ASYNC110 (polling is what is being measured)
            await asyncio.sleep(0.0005)
        if sequence >= 0:
            latencies.append(arrived[marker] - sent)
    consuming.cancel()
    await consumer.stop()
    return latencies


async def _pipeline_latency(
    database: Database, relay: OutboxRelay, consumer: EventConsumer, handled_at: dict[int, float]
) -> list[float]:
    await relay.start()
    await consumer.start()
    latencies = []
    for sequence in range(-1, SAMPLES):  # -1: warm-up through the group join
        committed = time.perf_counter()
        async with database.transaction() as session:
            add_event(session, Measured(sequence=sequence, sent_at=committed), key=KEYS[0])
        while sequence not in handled_at:  # noqa: ASYNC110
            await asyncio.sleep(0.0005)
        if sequence >= 0:
            latencies.append(handled_at[sequence] - committed)
    await consumer.stop()
    await relay.stop()
    return latencies


def _rate(label: str, arrivals: list[float]) -> float:
    elapsed = arrivals[-1] - arrivals[0]
    rate = (len(arrivals) - 1) / elapsed if elapsed > 0 else float("inf")
    print(f"  {label:<46} {rate:>10,.0f} events/s  ({elapsed:.2f} s)", flush=True)
    return rate


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def _report(label: str, values: list[float]) -> None:
    p50, p99 = statistics.median(values) * 1000, _p99(values) * 1000
    print(f"  {label:<46} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms")
