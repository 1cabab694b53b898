"""When an issued document counts as expired, and when its holder is warned."""

from __future__ import annotations

from datetime import date, timedelta


def is_expired(*, expiry_on: date | None, today: date) -> bool:
    # A document is valid through its expiry date and expired the day after.
    return expiry_on is not None and expiry_on < today


def needs_warning(
    *, expiry_on: date | None, warned_for: date | None, today: date, warning_days: int
) -> bool:
    """Warn once per expiry date: a renewed document with a new date is warned again."""
    if expiry_on is None or is_expired(expiry_on=expiry_on, today=today):
        return False
    return expiry_on <= today + timedelta(days=warning_days) and warned_for != expiry_on
