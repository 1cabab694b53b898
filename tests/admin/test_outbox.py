"""`homeward outbox backlog`: unpublished rows, the oldest one's age, the busiest lane."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from homeward.common.db import Database, utcnow
from homeward.common.events import InMemoryBroker, OutboxRecord, OutboxRelay, lane_for
from tests.admin.conftest import Homeward


def row(key: str, *, age: timedelta, published: bool = False) -> OutboxRecord:
    now = utcnow()
    return OutboxRecord(
        event_id=str(uuid.uuid4()),
        topic="homeward.intake.cases",
        key=key,
        lane=lane_for(key),
        type="homeward.case.registered.v1",
        time=now - age,
        data={"case_id": key},
        published_at=now if published else None,
    )


async def test_backlog_counts_what_waits_and_for_how_long(
    homeward: Homeward, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEWARD_INTAKE_DATABASE_URL", database_url)
    assert (await homeward("migrate", "intake")).code == 0
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            session.add_all(
                [
                    row("case-a", age=timedelta(hours=2, minutes=5)),
                    row("case-a", age=timedelta(minutes=1)),
                    row("case-a", age=timedelta(seconds=5)),
                    row("case-b", age=timedelta(minutes=3)),
                    row("case-c", age=timedelta(days=3), published=True),
                ]
            )
    finally:
        await database.dispose()

    report = await homeward("outbox", "backlog", "intake", "--json")
    assert report.code == 0, report.err
    [intake] = json.loads(report.out)
    assert intake["unpublished"] == 4
    assert 2 * 3600 + 300 <= intake["oldest_age_s"] < 2 * 3600 + 400
    assert (intake["busiest_lane"], intake["busiest_lane_rows"]) == (lane_for("case-a"), 3)

    table = await homeward("outbox", "backlog", "intake")
    assert table.out.splitlines()[1].split() == [
        "intake", "4", "2h", "5m", str(lane_for("case-a")), "(3)"
    ]  # fmt: skip


async def test_backlog_of_every_service_and_an_unreadable_database(
    homeward: Homeward, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert (await homeward("migrate", "--all")).code == 0
    report = await homeward("outbox", "backlog")
    assert report.code == 0
    assert [line.split()[:2] for line in report.out.splitlines()[1:]] == [
        [service, "0"] for service in ("intake", "referrals", "documents", "notifications")
    ]

    monkeypatch.setenv("HOMEWARD_REFERRALS_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    failed = await homeward("outbox", "backlog", "referrals")
    assert failed.code == 1
    assert (
        "referrals: cannot read the outbox" in failed.err
        and "homeward check referrals" in failed.err
    )


async def test_republish_queues_what_is_retained_and_follows_the_relay(
    homeward: Homeward, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEWARD_INTAKE_DATABASE_URL", database_url)
    assert (await homeward("migrate", "intake")).code == 0
    database = Database(database_url)
    broker = InMemoryBroker()
    producer = broker.producer("relay")
    await producer.start()
    relay = OutboxRelay(database, producer, "/homeward/intake", poll_interval_s=0.05)
    try:
        async with database.transaction() as session:
            session.add_all(
                [
                    row("case-a", age=timedelta(days=3), published=True),
                    row("case-a", age=timedelta(minutes=30), published=True),
                    row("case-b", age=timedelta(minutes=20), published=True),
                    row("case-b", age=timedelta(minutes=10)),  # not published yet: left alone
                ]
            )

        # No relay running: queued, and the command says what still waits.
        queued = await homeward("outbox", "republish", "intake", "--since", "1h", "--wait", "0")
        assert queued.code == 0, queued.err
        assert queued.out.splitlines()[:2] == [
            "intake: 2 retained event(s) queued to be published again; 3 to publish in all",
            "intake: 0 of 3 published",
        ]
        assert "3 event(s) still wait for intake's relay" in queued.out

        assert await relay.publish_pending() == 3
        await relay.start()
        again = await homeward("outbox", "republish", "intake", "--wait", "30")
        assert again.code == 0, again.err
        assert again.out.splitlines()[0].startswith("intake: 4 retained event(s) queued")
        assert again.out.splitlines()[-1] == "intake: 4 of 4 published"
        published = [json.loads(message.value)["case_id"] for message in broker.messages(
            "homeward.intake.cases"
        )]  # fmt: skip
        # Each pass in order per key: the 3 pending, then all 4 again.
        assert published == ["case-a", "case-b", "case-b", "case-a", "case-a", "case-b", "case-b"]
    finally:
        await relay.stop()
        await producer.stop()
        await database.dispose()


async def test_republish_refuses_a_time_it_cannot_read(homeward: Homeward) -> None:
    refused = await homeward("outbox", "republish", "intake", "--since", "yesterday")
    assert refused.code == 2
    assert "neither ISO 8601 nor an age" in refused.err


async def test_the_console_has_no_events_to_republish_or_rebuild(homeward: Homeward) -> None:
    # It keeps sessions only: no outbox, no consumers.
    for command in (("outbox", "republish"), ("events", "rebuild")):
        refused = await homeward(*command, "console")
        assert refused.code == 2 and "invalid choice: 'console'" in refused.err
