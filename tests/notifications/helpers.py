"""Test helpers for notifications: events on the bus, a real HTTP server, a webhook receiver
that verifies signatures, an SMTP server."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from homeward.common.events import Broker, CloudEvent, registry
from homeward.common.testing.kafka import free_port
from homeward.common.testing.servers import serving

RIVERTON_CASE = "6a1b0c3e-0000-4000-8000-000000000001"
LAKESIDE_CASE = "6a1b0c3e-0000-4000-8000-000000000002"
PERSON = "7b2c1d4f-0000-4000-8000-000000000003"


async def publish(
    broker: Broker,
    event_type: str,
    data: dict[str, Any],
    *,
    event_id: str | None = None,
    key: str | None = None,
) -> str:
    """Put one CloudEvent on the event type's topic, as another service's relay would."""
    contract = registry.model_for(event_type)
    assert contract is not None, f"{event_type} is not a registered contract"
    event = CloudEvent(
        id=event_id or str(uuid.uuid4()),
        type=event_type,
        source="/homeward/tests",
        time=datetime.now(UTC),
        key=key or str(data.get("case_id", RIVERTON_CASE)),
        data=data,
    )
    record = event.to_kafka()
    producer = broker.producer("tests")
    await producer.start()
    try:
        await producer.send(
            contract.topic, key=record.key, value=record.value, headers=record.headers
        )
    finally:
        await producer.stop()
    return event.id


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def case_registered(case_id: str = RIVERTON_CASE, code: str = "HW-7KQ3-M9", town: str = "riverton"):
    return "homeward.case.registered.v1", {
        "case_id": case_id,
        "case_code": code,
        "municipality": town,
        "placement": "rehabilitation-centre",
        "arrival_date": "2025-03-01",
        "person_count": 3,
        "registered_at": now_iso(),
    }


def coordinator_assigned(username: str = "coordinator.riverton", case_id: str = RIVERTON_CASE):
    return "homeward.case.coordinator_assigned.v1", {
        "case_id": case_id,
        "case_code": "HW-7KQ3-M9",
        "municipality": "riverton",
        "coordinator": username,
        "assigned_at": now_iso(),
    }


AT = "2025-04-01T10:00:00+00:00"
VERB_FIELDS: dict[str, dict[str, Any]] = {
    "sent": {"acceptance_due_at": "2025-04-08T10:00:00+00:00", "sent_at": AT},
    "accepted": {"completion_due_at": "2025-05-01T10:00:00+00:00", "accepted_at": AT},
    "rejected": {"reason_code": "no-capacity", "rejected_at": AT},
    "started": {"started_at": AT},
    "held": {"reason_code": "consent-revoked", "held_at": AT},
    "resumed": {"resumed_at": AT},
    "created": {"disclosed_categories": [], "created_at": AT},
    "completed": {"outcome": "achieved", "completed_at": AT},
    "failed": {"reason_code": "lost-contact", "failed_at": AT},
    "cancelled": {"reason_code": "no-longer-needed", "cancelled_at": AT},
    "voided": {"marked_at": AT},
    "reassigned": {"from_municipality": "riverton", "reassigned_at": AT},
    "escalated": {"deadline": "acceptance", "level": "coordinator", "due_at": AT,
                  "detected_at": AT},
    "blocked": {"blocked_on": "documents", "missing_documents": [["national-id"]],
                "blocked_at": AT},
    "unblocked": {"unblocked_at": AT},
}  # fmt: skip


# The lifecycle state each verb leaves the referral in (blocked/unblocked carry none).
STATE_AFTER = {"created": "draft", "sent": "requested", "accepted": "accepted",
               "rejected": "rejected", "started": "in-progress", "held": "on-hold",
               "resumed": "in-progress", "completed": "completed", "failed": "failed",
               "cancelled": "cancelled", "voided": "entered-in-error"}  # fmt: skip


def referral_event(
    verb: str, *, agency: str = "riverton-police", agency_type: str = "police", **extra: Any
):
    """A referral lifecycle event with every field its contract requires."""
    data: dict[str, Any] = {
        "referral_id": "8c3d2e5a-0000-4000-8000-000000000004",
        "case_id": RIVERTON_CASE,
        "case_code": "HW-7KQ3-M9",
        "municipality": "riverton",
        "person_id": PERSON,
        "person_code": "P-4TXR-8N",
        "agency_id": agency,
        "agency_type": agency_type,
        "service_category": "legal-aid",
        "priority": "routine",
        "state": STATE_AFTER.get(verb, "requested"),
    }
    data |= VERB_FIELDS.get(verb, {})
    data |= extra
    return f"homeward.referral.{verb}.v1", data


# --- a real HTTP server in the test's event loop -------------------------------------------


@contextlib.asynccontextmanager
async def serve(app: Any, *, lifespan: str = "off") -> AsyncIterator[str]:
    """Serve an ASGI app on a free loopback port; yields its base URL."""
    async with serving(lambda _base_url: app, lifespan=lifespan) as base_url:
        yield base_url


@dataclass
class WebhookReceiver:
    """A partner system's endpoint: verifies every signature (with the `standardwebhooks`
    package), answers 500 `fail_first` times."""

    secret: str = ""
    fail_first: int = 0
    always_fail: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    @property
    def verified(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["verified"]]

    @property
    def accepted(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["status"] == 204]

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        headers = {k: request.headers.get(k, "") for k in
                   ("webhook-id", "webhook-timestamp", "webhook-signature")}  # fmt: skip
        ok = bool(self.secret) and _verifies(self.secret, headers, body)
        failing = self.always_fail or len(self.requests) < self.fail_first
        status = 500 if failing else (204 if ok else 401)
        self.requests.append(
            {"headers": headers, "host": request.headers.get("host"), "body": body.decode(),
             "json": json.loads(body), "verified": ok, "status": status}
        )  # fmt: skip
        return Response(status_code=status)


def _verifies(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Checked by the official Standard Webhooks library, as a partner's receiver would."""
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


@contextlib.asynccontextmanager
async def webhook_receiver(**options: Any) -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver(**options)
    app = Starlette(routes=[Route("/hooks", receiver.handle, methods=["POST"])])
    async with serve(app) as base_url:
        receiver.url = f"{base_url}/hooks"
        yield receiver


class _Collector:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)  # decoded headers
        self.messages.append(
            {"to": envelope.rcpt_tos, "subject": message["Subject"],
             "body": message.get_payload(decode=True).decode(), "raw": envelope.content.decode()}
        )  # fmt: skip
        return "250 OK"


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[_Collector, int]]:
    """aiosmtpd on a free port (in its own thread, as aiosmtpd's Controller runs)."""
    collector = _Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield collector, port
    finally:
        controller.stop()
