"""CloudEvents 1.0 in Kafka binary mode: attributes travel as `ce_` headers, data as the body.

Binary mode (rather than structured mode, where the whole envelope is the JSON body) lets
brokers, tools and consumers route and filter on headers without parsing the payload, and
keeps the body exactly the event contract's JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

SPEC_VERSION = "1.0"
JSON_CONTENT_TYPE = "application/json"
REQUIRED_HEADERS = ("ce_id", "ce_type", "ce_source", "ce_time", "ce_specversion")


class MalformedEvent(ValueError):
    """A message that is not a Homeward CloudEvent; retrying it can never succeed."""


class KafkaRecord(NamedTuple):
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


@dataclass(frozen=True, kw_only=True)
class CloudEvent:
    id: str
    type: str
    source: str
    time: datetime
    key: str
    data: dict[str, Any] = field(default_factory=dict)
    subject: str | None = None
    traceparent: str | None = None
    specversion: str = SPEC_VERSION
    datacontenttype: str = JSON_CONTENT_TYPE

    def __post_init__(self) -> None:
        if self.time.tzinfo is None:
            raise ValueError("CloudEvent.time must be timezone-aware")

    def to_kafka(self) -> KafkaRecord:
        headers = [
            ("ce_id", self.id),
            ("ce_type", self.type),
            ("ce_source", self.source),
            ("ce_time", format_time(self.time)),
            ("ce_specversion", self.specversion),
            ("content-type", self.datacontenttype),
        ]
        if self.subject is not None:
            headers.append(("ce_subject", self.subject))
        if self.traceparent is not None:
            headers.append(("traceparent", self.traceparent))
        body = json.dumps(self.data, separators=(",", ":"), ensure_ascii=False)
        return KafkaRecord(
            key=self.key.encode(),
            value=body.encode(),
            headers=[(name, value.encode()) for name, value in headers],
        )

    @classmethod
    def from_kafka(
        cls, key: bytes | None, value: bytes | None, headers: Iterable[tuple[str, bytes | None]]
    ) -> CloudEvent:
        attributes = _decode_headers(headers)
        missing = [name for name in REQUIRED_HEADERS if not attributes.get(name)]
        if missing:
            raise MalformedEvent(f"missing CloudEvents headers: {', '.join(missing)}")
        if attributes["ce_specversion"] != SPEC_VERSION:
            raise MalformedEvent(f"unsupported specversion {attributes['ce_specversion']!r}")
        content_type = attributes.get("content-type", JSON_CONTENT_TYPE)
        if content_type.split(";")[0].strip() != JSON_CONTENT_TYPE:
            raise MalformedEvent(f"unsupported content-type {content_type!r}")
        if not key:
            raise MalformedEvent("message has no key (Homeward events are keyed by case id)")
        try:
            time = parse_time(attributes["ce_time"])
            data = json.loads(value or b"")
            decoded_key = key.decode()
        except (ValueError, UnicodeDecodeError) as exc:
            # The error names the position, never the content: it may end up in a dead letter.
            raise MalformedEvent(f"unreadable event: {type(exc).__name__}") from exc
        if not isinstance(data, dict):
            raise MalformedEvent("event data must be a JSON object")
        return cls(
            id=attributes["ce_id"],
            type=attributes["ce_type"],
            source=attributes["ce_source"],
            time=time,
            key=decoded_key,
            data=data,
            subject=attributes.get("ce_subject"),
            traceparent=attributes.get("traceparent"),
            specversion=attributes["ce_specversion"],
            datacontenttype=content_type,
        )


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, the form most CloudEvents SDKs emit."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("ce_time has no UTC offset")
    return moment.astimezone(UTC)


def _decode_headers(headers: Iterable[tuple[str, bytes | None]]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for name, raw in headers:
        try:
            attributes[name.lower()] = (raw or b"").decode()
        except UnicodeDecodeError as exc:
            raise MalformedEvent(f"header {name!r} is not UTF-8") from exc
    return attributes
