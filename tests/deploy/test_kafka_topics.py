"""deploy/kafka: a Strimzi KafkaTopic for every event topic of the contracts and every
service's dead-letter topic, none forgotten, none left over."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest

import homeward.common.contracts  # noqa: F401  (registers every contract)
from homeward.common.events.contracts import registry
from homeward.common.events.deadletter import dead_letter_topic
from homeward.common.settings import CommonSettings
from tests.deploy.helpers import EVENTED, ROOT, SERVICES, kustomize, load_documents

TOPICS_FILE = ROOT / "deploy" / "kafka" / "topics.yaml"
DAY_MS = 24 * 3600 * 1000
EVENT_RETENTION_MS = 14 * DAY_MS
DEAD_LETTER_RETENTION_MS = 30 * DAY_MS


@pytest.fixture(scope="module")
def topics() -> dict[str, dict[str, Any]]:
    for service in SERVICES:  # a service may register contracts of its own
        importlib.import_module(f"homeward.{service}.app")
    documents = load_documents(TOPICS_FILE)
    assert all(doc["kind"] == "KafkaTopic" for doc in documents)
    by_name = {doc["spec"]["topicName"]: doc for doc in documents}
    assert len(by_name) == len(documents), "a topic defined twice"
    return by_name


def event_topics() -> set[str]:
    return set(registry.topics())


def dead_letter_topics() -> set[str]:
    return {dead_letter_topic(service) for service in EVENTED}


def test_every_topic_is_defined_and_no_other(topics: dict[str, dict[str, Any]]) -> None:
    assert event_topics()  # the registry was filled
    assert set(topics) == event_topics() | dead_letter_topics()


def test_topic_resources_are_well_formed(topics: dict[str, dict[str, Any]]) -> None:
    for name, doc in topics.items():
        assert doc["apiVersion"] == "kafka.strimzi.io/v1beta2"
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", doc["metadata"]["name"]), name
        assert doc["metadata"]["labels"]["strimzi.io/cluster"] == "homeward"
        spec = doc["spec"]
        assert set(spec) == {"topicName", "partitions", "replicas", "config"}
        assert spec["replicas"] == 3
        assert spec["config"]["min.insync.replicas"] == 2
        assert spec["config"]["cleanup.policy"] == "delete"


def test_event_topics_partitions_and_retention(topics: dict[str, dict[str, Any]]) -> None:
    for name in event_topics():
        spec = topics[name]["spec"]
        assert spec["partitions"] == 12, name
        assert spec["config"]["retention.ms"] == EVENT_RETENTION_MS, name


def test_dead_letter_topics_partitions_and_retention(topics: dict[str, dict[str, Any]]) -> None:
    for name in dead_letter_topics():
        spec = topics[name]["spec"]
        assert spec["partitions"] == 3, name
        assert spec["config"]["retention.ms"] == DEAD_LETTER_RETENTION_MS, name


def test_consumers_inbox_outlives_the_event_topics(topics: dict[str, dict[str, Any]]) -> None:
    # A consumer rewound to the start of a topic must still recognise every event it applied.
    inbox_ms = CommonSettings.model_fields["inbox_retention_hours"].default * 3600 * 1000
    for name in event_topics():
        assert topics[name]["spec"]["config"]["retention.ms"] < inbox_ms, name


def test_kustomization_puts_the_topics_in_the_kafka_namespace() -> None:
    rendered = kustomize("deploy/kafka")
    assert {doc["spec"]["topicName"] for doc in rendered} == (event_topics() | dead_letter_topics())
    assert {doc["metadata"]["namespace"] for doc in rendered} == {"kafka"}
