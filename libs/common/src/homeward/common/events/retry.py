"""How long to wait before trying again, and which failures are the database's, not the event's.

Pure functions, so the policy is tested without a clock. No jitter: one consumer retries one
message at a time, so there is no herd of identical clients to spread out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError


def backoff_delay(attempt: int, *, initial_s: float, max_s: float) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): doubling, capped."""
    if attempt < 1:
        raise ValueError("attempts count from 1")
    # min() on the exponent first keeps 2**n from overflowing on long outages.
    return min(initial_s * 2 ** min(attempt - 1, 60), max_s)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    max_attempts: int = 5
    initial_s: float = 0.2
    max_s: float = 10.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0 <= self.initial_s <= self.max_s:
            raise ValueError("need 0 <= initial_s <= max_s")

    def delay_after(self, attempt: int) -> float:
        return backoff_delay(attempt, initial_s=self.initial_s, max_s=self.max_s)

    def gives_up_after(self, attempt: int) -> bool:
        return attempt >= self.max_attempts


def is_infrastructure_failure(error: BaseException) -> bool:
    """The database (or network) is unavailable: waiting helps, dead-lettering would not.

    A consumer retries these without limit instead of counting them as attempts; otherwise a
    database outage would dead-letter every message that arrived during it.
    """
    if isinstance(error, OperationalError | InterfaceError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, ConnectionError | TimeoutError)
