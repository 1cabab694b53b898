"""Prometheus metrics every service exposes on `/metrics`.

Defined once here so that the web layer, the relay and the consumer runner report under the
same names, and dashboards work the same for every service.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUEST_LATENCY = Histogram(
    "homeward_http_request_duration_seconds",
    "HTTP request latency by route template (never the raw path: it may hold ids)",
    ["service", "method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
OUTBOX_BACKLOG = Gauge(
    "homeward_outbox_backlog", "Outbox rows committed but not yet published", ["service"]
)
EVENTS_PUBLISHED = Counter(
    "homeward_events_published_total", "Events the outbox relay published", ["service", "topic"]
)
EVENTS_CONSUMED = Counter(
    "homeward_events_consumed_total",
    "Events consumed, by outcome (handled, duplicate, ignored, dead_lettered)",
    ["service", "group", "topic", "outcome"],
)
CONSUMER_LAG = Gauge(
    "homeward_consumer_lag",
    "Messages between the committed position and the end of the partition",
    ["service", "group", "topic", "partition"],
)
DEAD_LETTERS = Counter(
    "homeward_dead_letters_total", "Messages sent to a dead-letter topic", ["service", "topic"]
)
