"""Pseudonymous statistics: small counts are suppressed so no one can be singled out."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median

SUPPRESSION_THRESHOLD = 5
SUPPRESSED = "<5"


def suppressed(count: int) -> int | str:
    """A count of a handful of people, or of none, is shown as "<5"."""
    return count if count >= SUPPRESSION_THRESHOLD else SUPPRESSED


def suppressed_median_days(durations_days: Sequence[int]) -> float | str | None:
    """The median of fewer than five durations would describe individual persons."""
    if not durations_days:
        return None
    if len(durations_days) < SUPPRESSION_THRESHOLD:
        return SUPPRESSED
    return float(median(durations_days))
