"""The two errors every service's domain raises. Plain Python, so domain code stays free of
frameworks; the web layer (`errors.install_problem_handlers`) answers them as problem+json.

The message says what to fix and never repeats a submitted value: it reaches clients and logs.
"""

from __future__ import annotations

from collections.abc import Sequence


class RuleViolation(ValueError):
    """Input that breaks a rule the caller can fix (answered 422)."""


class StateConflict(Exception):
    """A command the object's current state does not allow (answered 409), with the states
    (or actions) that are allowed from here, when there are any."""

    def __init__(self, message: str, *, allowed_next_states: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.allowed_next_states = list(allowed_next_states)
