"""Rule violations the domain reports; the API maps them to 422 and 409."""

from __future__ import annotations


class RuleViolation(ValueError):
    """Input that breaks a rule; the message says what to fix (answered 422)."""


class StateConflict(Exception):
    """A command that the current state of a record does not allow (answered 409)."""

    def __init__(self, message: str, *, allowed: list[str] | None = None) -> None:
        super().__init__(message)
        self.allowed = allowed or []
