"""`homeward topics`: every topic Homeward needs, created with its retention, and a listing.

Event topics keep 14 days by default and dead-letter topics 30: the consumers' inbox keeps
event ids for 30 days and must outlive the event topics (a consumer that rewinds must still
recognise what it applied), and dead letters wait for an admin.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

from homeward.admin.kafka import admin_client
from homeward.admin.services import EVENTED, UsageError, homeward_topics
from homeward.common.settings import CommonSettings

CREATED, EXISTS, FAILED = "created", "exists", "failed"


@dataclass(frozen=True)
class TopicOutcome:
    name: str
    status: str  # created | exists | failed
    detail: str = ""


@dataclass(frozen=True)
class TopicRow:
    name: str
    partitions: int | None  # None: a Homeward topic that does not exist
    known: bool


def dead_letter_topics() -> set[str]:
    return {found.dead_letter_topic for found in EVENTED.values()}


def topic_config(name: str, settings: CommonSettings, min_insync_replicas: int) -> dict[str, str]:
    hours = (
        settings.kafka_dead_letter_retention_hours
        if name in dead_letter_topics()
        else settings.kafka_topic_retention_hours
    )
    return {
        "retention.ms": str(int(hours * 3600 * 1000)),
        "min.insync.replicas": str(min_insync_replicas),
    }


async def create_topics(
    settings: CommonSettings,
    *,
    partitions: int,
    replication_factor: int,
    min_insync_replicas: int,
) -> list[TopicOutcome]:
    """Creates every Homeward topic that does not exist yet; existing ones are left alone."""
    if min(partitions, replication_factor, min_insync_replicas) < 1:
        raise UsageError("partitions, replication factor and min.insync.replicas must be >= 1")
    if min_insync_replicas > replication_factor:
        raise UsageError(
            f"min.insync.replicas {min_insync_replicas} exceeds the replication factor "
            f"{replication_factor}: no acks=all write could ever succeed"
        )
    names = homeward_topics()
    new_topics = [
        NewTopic(
            name,
            partitions,
            replication_factor,
            topic_configs=topic_config(name, settings, min_insync_replicas),
        )
        for name in names
    ]
    async with admin_client(settings.kafka_bootstrap_servers) as admin:
        response = await admin.create_topics(new_topics)
        errors = {topic: (code, message) for topic, code, message in response.topic_errors}
        existing = [name for name in names if errors[name][0] == TopicAlreadyExistsError.errno]
        sizes = await _partition_counts(admin, existing) if existing else {}
    outcomes = []
    for name in names:
        code, message = errors[name]
        if code == 0:
            outcomes.append(TopicOutcome(name, CREATED, f"{partitions} partitions"))
        elif code == TopicAlreadyExistsError.errno:
            outcomes.append(TopicOutcome(name, EXISTS, f"{sizes.get(name, '?')} partitions"))
        else:
            outcomes.append(TopicOutcome(name, FAILED, message or for_code(code).__name__))
    return outcomes


async def list_topics(settings: CommonSettings) -> list[TopicRow]:
    """Every topic on the broker, and every Homeward topic missing from it."""
    async with admin_client(settings.kafka_bootstrap_servers) as admin:
        sizes = await _partition_counts(admin, None)
    known = set(homeward_topics())
    return [TopicRow(name, sizes.get(name), name in known) for name in sorted(known | sizes.keys())]


async def _partition_counts(admin: AIOKafkaAdminClient, names: list[str] | None) -> dict[str, int]:
    described = await admin.describe_topics(names)
    return {
        topic["topic"]: len(topic["partitions"])
        for topic in described
        if topic["error_code"] == 0 and not topic.get("is_internal")
    }
