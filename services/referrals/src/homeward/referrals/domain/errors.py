"""Domain errors; the wiring maps them to 422 and 409 problem responses."""

from __future__ import annotations

from collections.abc import Sequence


class RuleViolation(ValueError):
    """The request breaks a rule the caller can fix (422); the message says how."""


class TransitionNotAllowed(Exception):
    """The referral's state does not allow this action now (409), with the states it may reach."""

    def __init__(self, message: str, *, allowed_next_states: Sequence[str]) -> None:
        super().__init__(message)
        self.allowed_next_states = list(allowed_next_states)
