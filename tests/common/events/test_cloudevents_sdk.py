"""The CloudEvents check every service test runs at teardown (testing/apps.py) can fail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from homeward.common.contracts.referrals import REFERRALS_TOPIC
from homeward.common.events import InMemoryBroker
from homeward.common.events.broker import OutgoingRecord
from homeward.common.events.envelope import CloudEvent
from homeward.common.testing.cloudevents import assert_every_event_is_a_cloudevent


async def test_a_record_without_the_binary_mode_headers_is_refused() -> None:
    broker = InMemoryBroker()
    producer = broker.producer("test")
    await producer.start()
    record = OutgoingRecord(
        topic="homeward.referrals.referrals", key=b"case", value=b"{}", headers=()
    )
    await producer.send_batch([record])
    with pytest.raises(Exception):  # noqa: B017 (the SDK's own error, whatever its class)
        assert_every_event_is_a_cloudevent(broker)


async def test_an_envelope_of_ours_is_a_cloudevent_to_the_sdk() -> None:
    broker = InMemoryBroker()
    producer = broker.producer("test")
    await producer.start()
    event = CloudEvent(
        id="8d0d5a4e-1d6b-4a1c-9b8e-0f0c7c1d2e3f",
        type="homeward.referral.sent.v1",
        source="/homeward/referrals",
        time=datetime.now(UTC),
        key="case-1",
        data={"referral_id": "r-1"},
        subject="r-1",
    )
    record = event.to_kafka()
    await producer.send_batch(
        [OutgoingRecord(topic=REFERRALS_TOPIC, key=record.key, value=record.value,
                        headers=tuple(record.headers))]
    )  # fmt: skip
    assert assert_every_event_is_a_cloudevent(broker) == 1
