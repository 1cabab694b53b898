"""Outcome indicators that cannot single anyone out: small counts are shown as "<5"."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median

SMALL_COUNT = 5
SUPPRESSED = "<5"


def suppressed_count(count: int) -> int | str:
    return SUPPRESSED if count < SMALL_COUNT else count


def suppressed_median_hours(durations_h: Sequence[float]) -> float | str | None:
    """The median of at least five values; fewer could reveal one person's timeline."""
    if not durations_h:
        return None
    if len(durations_h) < SMALL_COUNT:
        return SUPPRESSED
    return round(median(durations_h), 1)


def suppressed_share(part: int, whole: int) -> float | str | None:
    if whole == 0:
        return None
    if whole < SMALL_COUNT or part < SMALL_COUNT:
        return SUPPRESSED
    return round(part / whole, 3)
