"""The domain's two errors, shared by every service: a broken rule (422) and a state that
does not allow the command (409). Re-exported so the intake domain imports them from here."""

from __future__ import annotations

from homeward.common.domain_errors import RuleViolation, StateConflict

__all__ = ["RuleViolation", "StateConflict"]
