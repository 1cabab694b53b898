"""CloudEvents in Kafka binary mode: what goes on the wire, and what is refused coming off it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from homeward.common.events import CloudEvent, MalformedEvent

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def an_event(**changes: object) -> CloudEvent:
    fields: dict[str, object] = {
        "id": "0b6f4bd2-5d0e-4a8e-9a35-1d7a1f0c2b11",
        "type": "homeward.referral.accepted.v1",
        "source": "/homeward/referrals",
        "subject": "referral/42",
        "time": datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=UTC),
        "key": "case-7",
        "data": {"referral_id": "42", "case_code": "HW-7KQ3-M9", "nested": {"ok": True}},
        "traceparent": TRACEPARENT,
    }
    return CloudEvent(**(fields | changes))  # type: ignore[arg-type]


def test_binary_mode_puts_attributes_in_headers_and_data_in_the_body() -> None:
    record = an_event().to_kafka()
    headers = {name: value.decode() for name, value in record.headers}

    assert record.key == b"case-7"
    assert json.loads(record.value) == {
        "referral_id": "42",
        "case_code": "HW-7KQ3-M9",
        "nested": {"ok": True},
    }
    assert headers == {
        "ce_id": "0b6f4bd2-5d0e-4a8e-9a35-1d7a1f0c2b11",
        "ce_type": "homeward.referral.accepted.v1",
        "ce_source": "/homeward/referrals",
        "ce_time": "2025-03-01T12:30:15.123456Z",
        "ce_subject": "referral/42",
        "ce_specversion": "1.0",
        "content-type": "application/json",
        "traceparent": TRACEPARENT,
    }


def test_round_trip_gives_back_the_same_event() -> None:
    event = an_event()
    record = event.to_kafka()
    assert CloudEvent.from_kafka(record.key, record.value, record.headers) == event


def test_optional_attributes_are_left_out_and_come_back_as_none() -> None:
    event = an_event(subject=None, traceparent=None)
    record = event.to_kafka()
    names = {name for name, _ in record.headers}
    assert "ce_subject" not in names and "traceparent" not in names
    parsed = CloudEvent.from_kafka(record.key, record.value, record.headers)
    assert parsed.subject is None and parsed.traceparent is None


def test_time_is_normalised_to_utc() -> None:
    paris = timezone(timedelta(hours=1))
    event = an_event(time=datetime(2025, 3, 1, 13, 0, tzinfo=paris))
    record = event.to_kafka()
    assert dict(record.headers)["ce_time"] == b"2025-03-01T12:00:00Z"
    parsed = CloudEvent.from_kafka(record.key, record.value, record.headers)
    assert parsed.time == datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert parsed.time.tzinfo is UTC


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        an_event(time=datetime(2025, 3, 1, 12, 0))


def _without(headers: list[tuple[str, bytes]], name: str) -> list[tuple[str, bytes]]:
    return [(key, value) for key, value in headers if key != name]


def _replaced(headers: list[tuple[str, bytes]], name: str, value: bytes) -> list[tuple[str, bytes]]:
    return [*_without(headers, name), (name, value)]


@pytest.mark.parametrize("header", ["ce_id", "ce_type", "ce_source", "ce_time", "ce_specversion"])
def test_missing_required_header_is_malformed(header: str) -> None:
    record = an_event().to_kafka()
    with pytest.raises(MalformedEvent, match=header):
        CloudEvent.from_kafka(record.key, record.value, _without(record.headers, header))


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ce_specversion", b"0.3", "specversion"),
        ("content-type", b"application/xml", "content-type"),
        ("ce_time", b"yesterday", "unreadable"),
        ("ce_time", b"2025-03-01T12:00:00", "unreadable"),
        ("ce_type", b"\xff\xfe", "not UTF-8"),
    ],
)
def test_bad_header_values_are_malformed(name: str, value: bytes, message: str) -> None:
    record = an_event().to_kafka()
    with pytest.raises(MalformedEvent, match=message):
        CloudEvent.from_kafka(record.key, record.value, _replaced(record.headers, name, value))


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"{not json", "unreadable"), (b"", "unreadable"), (b"[1, 2]", "JSON object")],
)
def test_bad_body_is_malformed(body: bytes, message: str) -> None:
    record = an_event().to_kafka()
    with pytest.raises(MalformedEvent, match=message):
        CloudEvent.from_kafka(record.key, body, record.headers)


def test_malformed_error_never_quotes_the_body() -> None:
    record = an_event().to_kafka()
    with pytest.raises(MalformedEvent) as raised:
        CloudEvent.from_kafka(record.key, b'{"name": "Amina Example"', record.headers)
    assert "Amina" not in str(raised.value)


def test_message_without_key_is_malformed() -> None:
    record = an_event().to_kafka()
    with pytest.raises(MalformedEvent, match="no key"):
        CloudEvent.from_kafka(None, record.value, record.headers)


def test_content_type_with_parameters_is_accepted() -> None:
    record = an_event().to_kafka()
    headers = _replaced(record.headers, "content-type", b"application/json; charset=utf-8")
    assert CloudEvent.from_kafka(record.key, record.value, headers).data["referral_id"] == "42"
