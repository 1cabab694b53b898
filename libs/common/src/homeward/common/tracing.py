"""W3C trace context: one trace id follows a request into its events and their consumers.

The web middleware and the consumer runner set the current context; the outbox reads it when
an event is staged, so the event carries the `traceparent` of the request that caused it.
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar
from dataclasses import dataclass

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


@dataclass(frozen=True)
class TraceContext:
    trace_id: str
    span_id: str
    flags: str = "01"

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"

    def child(self) -> TraceContext:
        return TraceContext(self.trace_id, secrets.token_hex(8), self.flags)

    @classmethod
    def new(cls) -> TraceContext:
        return cls(secrets.token_hex(16), secrets.token_hex(8))

    @classmethod
    def parse(cls, header: str | None) -> TraceContext | None:
        match = _TRACEPARENT.match((header or "").strip().lower())
        if not match or set(match.group(1)) == {"0"} or set(match.group(2)) == {"0"}:
            return None
        return cls(match.group(1), match.group(2), match.group(3))

    @classmethod
    def continue_from(cls, header: str | None) -> TraceContext:
        """A new span in the caller's trace, or a new trace when there is none."""
        parent = cls.parse(header)
        return parent.child() if parent else cls.new()


current_trace: ContextVar[TraceContext | None] = ContextVar("homeward_trace", default=None)


def current_traceparent() -> str | None:
    trace = current_trace.get()
    return trace.traceparent if trace else None
