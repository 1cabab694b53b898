"""The retry policy is arithmetic: tested without a clock."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from homeward.common.events import RetryPolicy, backoff_delay
from homeward.common.events.retry import is_infrastructure_failure


def test_backoff_doubles_from_the_initial_delay_up_to_the_cap() -> None:
    delays = [backoff_delay(attempt, initial_s=0.2, max_s=1.0) for attempt in range(1, 7)]
    assert delays == [0.2, 0.4, 0.8, 1.0, 1.0, 1.0]


def test_backoff_survives_very_long_outages() -> None:
    assert backoff_delay(10_000, initial_s=0.5, max_s=30.0) == 30.0


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        backoff_delay(0, initial_s=0.2, max_s=1.0)


def test_policy_gives_up_after_max_attempts() -> None:
    policy = RetryPolicy(max_attempts=3, initial_s=0.1, max_s=10.0)
    assert [policy.gives_up_after(attempt) for attempt in (1, 2, 3, 4)] == [
        False,
        False,
        True,
        True,
    ]
    assert policy.delay_after(2) == pytest.approx(0.2)


@pytest.mark.parametrize(
    "arguments",
    [
        {"max_attempts": 0},
        {"initial_s": 2.0, "max_s": 1.0},
        {"initial_s": -1.0},
    ],
)
def test_policy_refuses_nonsense(arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**arguments)  # type: ignore[arg-type]


def test_database_outages_are_infrastructure_failures_but_bugs_are_not() -> None:
    outage = OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))
    assert is_infrastructure_failure(outage)
    assert is_infrastructure_failure(ConnectionResetError())
    assert is_infrastructure_failure(TimeoutError())
    assert not is_infrastructure_failure(IntegrityError("INSERT", {}, Exception("duplicate")))
    assert not is_infrastructure_failure(ValueError("bad data"))
    assert not is_infrastructure_failure(KeyError("missing"))
