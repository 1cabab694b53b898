"""The record state machine, date rules, expiry and suppression: plain Python, no I/O."""

from __future__ import annotations

from datetime import date

import pytest

from homeward.documents.domain.errors import RuleViolation, StateConflict
from homeward.documents.domain.expiry import is_expired, needs_warning
from homeward.documents.domain.overview import suppressed, suppressed_median_days
from homeward.documents.domain.records import (
    RecordDates,
    RecordStatus,
    check_dates,
    check_transition,
    default_document_types,
)

S = RecordStatus
TODAY = date(2025, 6, 1)


def test_the_usual_path_needs_no_reasons() -> None:
    for current, target in [(S.MISSING, S.REQUESTED), (S.REQUESTED, S.IN_PROGRESS),
                            (S.IN_PROGRESS, S.ISSUED), (S.ISSUED, S.EXPIRED),
                            (S.EXPIRED, S.REQUESTED)]:  # fmt: skip
        check_transition(current, target, reason=None)


def test_illegal_transitions_name_the_allowed_ones() -> None:
    with pytest.raises(StateConflict) as refused:
        check_transition(S.NOT_APPLICABLE, S.ISSUED, reason=None)
    assert refused.value.allowed_next_states == ["missing"]


@pytest.mark.parametrize(
    ("current", "target"),
    [(S.ISSUED, S.MISSING), (S.EXPIRED, S.MISSING), (S.MISSING, S.NOT_APPLICABLE),
     (S.REQUESTED, S.REJECTED), (S.NOT_APPLICABLE, S.MISSING)],
)  # fmt: skip
def test_discarding_facts_needs_a_reason(current: RecordStatus, target: RecordStatus) -> None:
    with pytest.raises(RuleViolation, match="reason"):
        check_transition(current, target, reason="  ")
    check_transition(current, target, reason="the certificate was lost in the move")


def dates(**values: date | None) -> RecordDates:
    return RecordDates(requested_on=values.get("requested_on"), issued_on=values.get("issued_on"),
                       expiry_on=values.get("expiry_on"))  # fmt: skip


@pytest.mark.parametrize(
    ("status", "given", "complaint"),
    [
        (S.ISSUED, dates(), "issue date"),
        (S.ISSUED, dates(issued_on=date(2025, 5, 1), expiry_on=date(2025, 4, 1)), "after"),
        (S.ISSUED, dates(issued_on=date(2025, 7, 1)), "future"),
        (S.ISSUED, dates(requested_on=date(2025, 5, 2), issued_on=date(2025, 5, 1)), "before"),
        (S.ISSUED, dates(issued_on=date(2020, 1, 1), expiry_on=date(2025, 1, 1)), "expired"),
    ],
)
def test_date_rules(status: RecordStatus, given: RecordDates, complaint: str) -> None:
    with pytest.raises(RuleViolation, match=complaint):
        check_dates(status, given, today=TODAY)


def test_default_records_follow_age_group() -> None:
    assert "birth-certificate" in default_document_types(age_group="child")
    assert default_document_types(age_group="adult") == ["national-id", "residence-registration"]


def test_expiry_and_warnings() -> None:
    assert not is_expired(expiry_on=TODAY, today=TODAY)
    assert is_expired(expiry_on=date(2025, 5, 31), today=TODAY)
    soon = date(2025, 6, 20)
    assert needs_warning(expiry_on=soon, warned_for=None, today=TODAY, warning_days=30)
    assert not needs_warning(expiry_on=soon, warned_for=soon, today=TODAY, warning_days=30)
    assert not needs_warning(expiry_on=date(2025, 9, 1), warned_for=None, today=TODAY,
                             warning_days=30)  # fmt: skip


def test_small_counts_and_medians_are_suppressed() -> None:
    assert [suppressed(n) for n in (0, 1, 4, 5, 12)] == ["<5", "<5", "<5", 5, 12]
    assert suppressed_median_days([]) is None
    assert suppressed_median_days([3, 9]) == "<5"
    assert suppressed_median_days([1, 2, 3, 40, 50]) == 3.0
