"""JSON logs, request ids, trace context and request metrics.

Log lines carry the service, request id and trace id, and what the code passes in `extra`.
They never carry bodies, query strings or headers: those are where personal data would be.
Request metrics are labelled by route template (`/v1/cases/{case_id}`), never the raw path.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from homeward.common.metrics import REQUEST_LATENCY
from homeward.common.tracing import TraceContext, current_trace

current_request_id: ContextVar[str | None] = ContextVar("homeward_request_id", default=None)

# Attributes every LogRecord has; anything else came from `extra=` and is worth printing.
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # Ids passed in `extra` win; otherwise those of the request or event in hand.
        if request_id := current_request_id.get():
            line["request_id"] = request_id
        if trace := current_trace.get():
            line["trace_id"] = trace.trace_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            # The trace stays in the log for operators; it never reaches a client.
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(*, service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Uvicorn's access log prints raw paths and query strings; ours prints route templates.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error", "aiokafka"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("aiokafka").setLevel("WARNING")


class RequestContext:
    """Request id and trace context for every request; latency metric and one access line."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        self.log = logging.getLogger("homeward.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = _clean_request_id(headers.get("x-request-id")) or uuid.uuid4().hex
        trace = TraceContext.continue_from(headers.get("traceparent"))
        scope.setdefault("state", {})["request_id"] = request_id
        request_token = current_request_id.set(request_id)
        trace_token = current_trace.set(trace)
        status = 500
        started = time.perf_counter()

        async def send_with_ids(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                    (b"traceparent", trace.traceparent.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_ids)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            REQUEST_LATENCY.labels(self.service, scope["method"], route, str(status)).observe(
                elapsed
            )
            if route not in ("/healthz", "/readyz"):
                self.log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        "request_id": request_id,
                        "trace_id": trace.trace_id,
                    },
                )
            current_trace.reset(trace_token)
            current_request_id.reset(request_token)


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path_format", None) or getattr(route, "path", None) or "unmatched"


def _clean_request_id(value: str | None) -> str | None:
    """Accept a caller's request id only if it is short and plain: it goes into logs."""
    if value and len(value) <= 64 and all(c.isalnum() or c in "-_." for c in value):
        return value
    return None
