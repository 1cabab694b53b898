"""The AsyncAPI 3.0 document of Homeward's events, generated from the registered contracts.

One channel per topic, one message per event type. A message's payload is the contract's
JSON schema; its headers are the CloudEvents binary-mode headers, with `ce_type` fixed to the
event type, so a partner reading the document sees exactly what arrives on the wire.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic.json_schema import models_json_schema

from homeward.common.events.contracts import ContractRegistry, EventContract
from homeward.common.events.envelope import JSON_CONTENT_TYPE, SPEC_VERSION

SCHEMA_REF = "#/components/schemas/{model}"


def asyncapi_document(
    registry: ContractRegistry, *, title: str = "Homeward events", version: str = "1.0.0"
) -> dict[str, Any]:
    contracts = registry.contracts()
    payload_refs, definitions = models_json_schema(
        [(model, "serialization") for model in contracts], ref_template=SCHEMA_REF
    )
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for model in contracts:
        channel_id = component_id(model.topic)
        message_id = component_id(model.event_type)
        channel = channels.setdefault(
            channel_id,
            {
                "address": model.topic,
                "description": "Kafka topic; the message key is the case id.",
                "messages": {},
            },
        )
        channel["messages"][message_id] = {"$ref": f"#/components/messages/{message_id}"}
        messages[message_id] = _message(model, payload_refs[(model, "serialization")])
        operations[f"publish_{message_id}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{message_id}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": title,
            "version": version,
            "description": (
                "CloudEvents 1.0 in Kafka binary mode. Consumers must ignore unknown fields; "
                "a breaking change is a new event type version. No personal data."
            ),
        },
        "defaultContentType": JSON_CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": definitions.get("$defs", {})},
    }


def component_id(name: str) -> str:
    """AsyncAPI component keys allow letters, digits, `-` and `_` only."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)


def _message(model: type[EventContract], payload_ref: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": model.event_type,
        "title": model.__name__,
        "summary": (model.__doc__ or "").strip().split("\n")[0] or model.event_type,
        "contentType": JSON_CONTENT_TYPE,
        "headers": _cloudevents_headers(model.event_type),
        "payload": payload_ref,
        "bindings": {"kafka": {"key": {"type": "string", "description": "the case id"}}},
    }


def _cloudevents_headers(event_type: str) -> dict[str, Any]:
    string = {"type": "string"}
    return {
        "type": "object",
        "required": ["ce_id", "ce_type", "ce_source", "ce_time", "ce_specversion"],
        "properties": {
            "ce_id": string | {"description": "unique event id (consumers dedupe on it)"},
            "ce_type": {"type": "string", "const": event_type},
            "ce_source": string | {"description": "the publishing service"},
            "ce_time": {"type": "string", "format": "date-time"},
            "ce_subject": string | {"description": "what the event is about, e.g. an id"},
            "ce_specversion": {"type": "string", "const": SPEC_VERSION},
            "content-type": {"type": "string", "const": JSON_CONTENT_TYPE},
            "traceparent": string | {"description": "W3C trace context of the cause"},
        },
    }
