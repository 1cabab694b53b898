"""The domain's errors are the ones every Homeward service shares (answered 422 and 409)."""

from __future__ import annotations

from homeward.common.domain_errors import RuleViolation, StateConflict

__all__ = ["RuleViolation", "StateConflict"]
