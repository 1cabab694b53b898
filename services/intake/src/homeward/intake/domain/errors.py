"""Rule violations the domain reports; the API maps them to 422 and 409."""

from __future__ import annotations


class RuleViolation(ValueError):
    """Input that breaks a rule; the message says what to fix (answered 422)."""


class StateConflict(Exception):
    """A command that the current state of an object does not allow (answered 409)."""
