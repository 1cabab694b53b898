"""Homeward's events: CloudEvents on Kafka, published through a transactional outbox and
consumed idempotently. See DESIGN.md, "Events".

Services publish with `add_event(session, event, key=case_id)` inside their unit of work,
run one `OutboxRelay` and one `EventConsumer` per consumer group, and create the event
tables from their first migration with `create_event_tables(op)`.
"""

from homeward.common.events.asyncapi import asyncapi_document
from homeward.common.events.broker import (
    Broker,
    BrokerError,
    CommitFailed,
    Consumer,
    Delivered,
    Message,
    OutgoingRecord,
    Producer,
)
from homeward.common.events.consumer import (
    ContractHandler,
    EventConsumer,
    Handler,
    HandlerMap,
    Outcome,
)
from homeward.common.events.contracts import (
    ContractError,
    ContractRegistry,
    EventContract,
    event_contract,
    registry,
)
from homeward.common.events.deadletter import (
    DeadLetter,
    dead_letter_topic,
    read_dead_letters,
    replay_dead_letter,
)
from homeward.common.events.envelope import CloudEvent, KafkaRecord, MalformedEvent
from homeward.common.events.inbox import ProcessedEvent
from homeward.common.events.kafka import KafkaBroker
from homeward.common.events.loss import requeue_published
from homeward.common.events.memory import InMemoryBroker
from homeward.common.events.outbox import LANES, OutboxLane, OutboxRecord, add_event, lane_for
from homeward.common.events.relay import OutboxRelay
from homeward.common.events.retention import EventTablePruner, prune_event_tables
from homeward.common.events.retry import RetryPolicy, backoff_delay
from homeward.common.events.schema import create_event_tables, drop_event_tables, event_tables
from homeward.common.events.tansu import TansuBroker, TansuStartError

__all__ = [
    "LANES",
    "Broker",
    "BrokerError",
    "CloudEvent",
    "CommitFailed",
    "Consumer",
    "ContractError",
    "ContractHandler",
    "ContractRegistry",
    "DeadLetter",
    "Delivered",
    "EventConsumer",
    "EventContract",
    "EventTablePruner",
    "Handler",
    "HandlerMap",
    "InMemoryBroker",
    "KafkaBroker",
    "KafkaRecord",
    "MalformedEvent",
    "Message",
    "OutboxLane",
    "OutboxRecord",
    "OutboxRelay",
    "Outcome",
    "OutgoingRecord",
    "ProcessedEvent",
    "Producer",
    "RetryPolicy",
    "TansuBroker",
    "TansuStartError",
    "add_event",
    "asyncapi_document",
    "backoff_delay",
    "create_event_tables",
    "dead_letter_topic",
    "drop_event_tables",
    "event_contract",
    "event_tables",
    "lane_for",
    "prune_event_tables",
    "read_dead_letters",
    "registry",
    "replay_dead_letter",
    "requeue_published",
]
