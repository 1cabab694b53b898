"""Domain errors: the shared ones (answered 422 and 409 by the common problem handlers), and
the referral lifecycle's refusal as a kind of state conflict."""

from __future__ import annotations

from homeward.common.domain_errors import RuleViolation, StateConflict

__all__ = ["RuleViolation", "StateConflict", "TransitionNotAllowed"]


class TransitionNotAllowed(StateConflict):
    """The referral's state does not allow this action now (409), with the states it may reach."""
