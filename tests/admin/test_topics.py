"""`homeward topics`: every Homeward topic created with its retention, idempotently; a listing."""

from __future__ import annotations

import json

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from homeward.common.testing.kafka import free_port
from tests.admin.conftest import Homeward

EVENT_TOPICS = [
    "homeward.documents.records",
    "homeward.intake.cases",
    "homeward.referrals.referrals",
]
DEAD_LETTER_TOPICS = [
    f"homeward.{service}.deadletter"
    for service in ("documents", "intake", "notifications", "referrals")
]
DAY_MS = 24 * 3600 * 1000


async def topic_configs(bootstrap: str, topic: str) -> dict[str, str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        await admin.close()
    [resource] = response.resources
    return {entry[0]: entry[1] for entry in resource[4]}


async def test_create_makes_every_contract_and_dead_letter_topic_with_its_retention(
    homeward: Homeward, kafka: str
) -> None:
    first = await homeward("topics", "create", "--partitions", "2")
    assert first.code == 0, first.err
    created = [line.split()[1] for line in first.out.splitlines() if line.startswith("created")]
    assert sorted(created) == sorted(EVENT_TOPICS + DEAD_LETTER_TOPICS)

    events = await topic_configs(kafka, "homeward.intake.cases")
    assert events["retention.ms"] == str(14 * DAY_MS)  # the inbox (30 days) outlives it
    assert events["min.insync.replicas"] == "1"
    dead_letters = await topic_configs(kafka, "homeward.referrals.deadletter")
    assert dead_letters["retention.ms"] == str(30 * DAY_MS)


async def test_create_again_reports_existing_topics_and_succeeds(
    homeward: Homeward, kafka: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await homeward("topics", "create", "--partitions", "2")).code == 0
    monkeypatch.setenv("HOMEWARD_ENVIRONMENT", "production")  # no secret needed for topics
    again = await homeward("topics", "create", "--partitions", "5")
    assert again.code == 0
    assert "exists    homeward.intake.cases  (2 partitions)" in again.out
    assert "created" not in again.out


async def test_list_shows_partitions_and_whether_homeward_knows_the_topic(
    homeward: Homeward, kafka: str
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    await admin.create_topics([NewTopic("someone.elses.topic", 1, 1)])
    await admin.close()
    missing = await homeward("topics", "list")
    assert missing.code == 0
    assert "homeward.intake.cases" in missing.out and "missing" in missing.out

    await homeward("topics", "create")
    listed = await homeward("topics", "list", "--json")
    rows = {row["name"]: row for row in json.loads(listed.out)}
    assert rows["someone.elses.topic"] == {
        "name": "someone.elses.topic",
        "partitions": 1,
        "known": False,
    }
    assert rows["homeward.intake.cases"] == {
        "name": "homeward.intake.cases",
        "partitions": 3,
        "known": True,
    }
    assert set(EVENT_TOPICS + DEAD_LETTER_TOPICS) <= rows.keys()


async def test_min_insync_replicas_above_the_replication_factor_is_refused(
    homeward: Homeward, kafka: str
) -> None:
    refused = await homeward("topics", "create", "--min-insync-replicas", "2")
    assert refused.code == 2
    assert "min.insync.replicas 2 exceeds the replication factor 1" in refused.err


async def test_an_unreachable_broker_is_one_line_and_exit_1(
    homeward: Homeward, monkeypatch
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    failed = await homeward("topics", "list")
    assert failed.code == 1
    assert failed.err.count("\n") == 1 and "does not answer" in failed.err
    assert "Traceback" not in failed.err
