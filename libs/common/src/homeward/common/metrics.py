"""Prometheus metrics every service exposes on `/metrics`, on a port of its own.

Defined once here so that the web layer, the relay, the consumer runner and the notification
workers report under the same names, and dashboards and alerts (`deploy/monitoring/`) work
the same for every service.

Labels never carry personal data, raw paths, case codes, URLs or user names: only service
names, route templates, topics, consumer groups, partner agency ids, event kinds and
outcomes, all of which come from a small, fixed set. Agency ids and delivery outcomes are
still nobody else's business: the API port does not serve them, only the metrics port that
Prometheus alone may reach (`HOMEWARD_METRICS_PORT`).
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def metrics_app() -> Starlette:
    """What the metrics port serves: `/metrics` and nothing else (no docs, no API)."""

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return Starlette(routes=[Route("/metrics", metrics, methods=["GET"])])


# --- HTTP ---------------------------------------------------------------------------------

REQUEST_LATENCY = Histogram(
    "homeward_http_request_duration_seconds",
    "HTTP request latency by route template (never the raw path: it may hold ids)",
    ["service", "method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

# Identity reads refused by the per-actor limit: someone reads identities in bulk. Who did is
# in the audit trail (`identity.read_refused`), never in a label.
IDENTITY_READS_REFUSED = Counter(
    "homeward_identity_reads_refused_total",
    "Identity reads refused because the actor exceeded the per-minute limit",
    ["service"],
)

# --- publishing: outbox and relay ---------------------------------------------------------

OUTBOX_BACKLOG = Gauge(
    "homeward_outbox_backlog",
    "Outbox rows committed but not yet published (the whole table: every replica reports "
    "the same value, aggregate with max)",
    ["service"],
)
OUTBOX_OLDEST_AGE = Gauge(
    "homeward_outbox_oldest_pending_age_seconds",
    "Age of the oldest outbox row not yet published; 0 when nothing is pending",
    ["service"],
)
RELAY_FAILURES = Counter(
    "homeward_outbox_relay_failures_total",
    "Relay passes that failed (broker or database error) and are retried with backoff",
    ["service"],
)
EVENTS_PUBLISHED = Counter(
    "homeward_events_published_total", "Events the outbox relay published", ["service", "topic"]
)
BROKER_DATA_LOSS = Counter(
    "homeward_broker_data_loss_total",
    "Times a relay or consumer found that the broker lost records it had acknowledged "
    "(see events/loss.py; the log names the topics); the relay then publishes the retained "
    "outbox again",
    ["service", "component"],
)
EVENTS_REQUEUED = Counter(
    "homeward_outbox_requeued_total",
    "Published outbox events queued to be published again (broker data loss or an operator's "
    "`homeward outbox republish`)",
    ["service"],
)

# --- consuming ----------------------------------------------------------------------------

EVENTS_CONSUMED = Counter(
    "homeward_events_consumed_total",
    "Events consumed, by outcome (handled, duplicate, ignored, dead_lettered)",
    ["service", "group", "topic", "outcome"],
)
HANDLING_FAILURES = Counter(
    "homeward_event_handling_failures_total",
    "Failed attempts at handling an event, each retried: cause=handler (counts towards the "
    "dead letter) or cause=database (an outage, retried without limit)",
    ["service", "group", "topic", "cause"],
)
CONSUMER_LAG = Gauge(
    "homeward_consumer_lag",
    "Messages between the committed position and the end of the partition",
    ["service", "group", "topic", "partition"],
)
DEAD_LETTERS = Counter(
    "homeward_dead_letters_total", "Messages sent to a dead-letter topic", ["service", "topic"]
)

# --- notifications ------------------------------------------------------------------------

NOTIFICATIONS_CREATED = Counter(
    "homeward_notifications_created_total",
    "Inbox items committed, by kind (`referral.accepted`: the event type without prefix or "
    "version) and recipient scope kind (user, role, agency; never who)",
    ["kind", "scope"],
)
WEBHOOK_DELIVERIES = Counter(
    "homeward_webhook_deliveries_total",
    "Webhook delivery attempts by partner agency and outcome: delivered, failed_attempt "
    "(retried later) or gave_up (the last attempt failed; the subscription is disabled)",
    ["agency", "outcome"],
)
WEBHOOK_ATTEMPT_DURATION = Histogram(
    "homeward_webhook_attempt_duration_seconds",
    "Time a webhook attempt took, by partner agency (a slow receiver ends in timeouts)",
    ["agency"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
EMAIL_DELIVERIES = Counter(
    "homeward_email_deliveries_total",
    "Email sending attempts by outcome: sent (accepted by the SMTP server), failed_attempt "
    "(retried later) or gave_up (the last attempt failed)",
    ["outcome"],
)

WEBHOOK_OUTCOMES = ("delivered", "failed_attempt", "gave_up")
EMAIL_OUTCOMES = ("sent", "failed_attempt", "gave_up")
