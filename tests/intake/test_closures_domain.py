"""The closure rules as plain Python: one request at a time, decided once."""

from __future__ import annotations

import pytest

from homeward.intake.domain.cases import CaseStatus, ensure_open
from homeward.intake.domain.closures import (
    ClosureStatus,
    check_closure_decision,
    check_closure_request,
    check_direct_close,
)
from homeward.intake.domain.errors import StateConflict


def test_a_case_awaiting_closure_is_still_worked_on() -> None:
    ensure_open(CaseStatus.OPEN)
    ensure_open(CaseStatus.CLOSURE_REQUESTED)
    with pytest.raises(StateConflict, match="closed"):
        ensure_open(CaseStatus.CLOSED)


def test_one_closure_request_at_a_time_and_no_direct_close_past_it() -> None:
    check_closure_request(case_status=CaseStatus.OPEN)
    check_direct_close(case_status=CaseStatus.OPEN)
    with pytest.raises(StateConflict, match="already requested"):
        check_closure_request(case_status=CaseStatus.CLOSURE_REQUESTED)
    with pytest.raises(StateConflict, match="approve or reject"):
        check_direct_close(case_status=CaseStatus.CLOSURE_REQUESTED)


def test_only_pending_requests_are_decided() -> None:
    check_closure_decision(status=ClosureStatus.PENDING)
    for status in (ClosureStatus.APPROVED, ClosureStatus.REJECTED):
        with pytest.raises(StateConflict, match=status.value):
            check_closure_decision(status=status)
