"""The partner view follows the whole referral lifecycle, and a closed case closes its tasks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from homeward.common.contracts.intake import CaseClosed
from homeward.common.contracts.referrals import (
    ReferralCancelled,
    ReferralCompleted,
    ReferralFacts,
    ReferralSent,
)
from tests.documents.conftest import DocumentsHarness
from tests.documents.helpers import (
    eventually,
    now,
    published,
    referral_blocked,
    referral_created,
    referral_moved,
)
from tests.documents.test_api_records import announce
from tests.documents.test_api_tasks_and_views import open_tasks

SCHOOL, POLICE = "school.riverton", "police.riverton"


def _sent(referral: ReferralFacts) -> ReferralFacts:
    return referral_moved(referral, ReferralSent, state="requested", sent_at=now(),
                          acceptance_due_at=now() + timedelta(days=5))  # fmt: skip


def _ended(referral: ReferralFacts, how: str) -> ReferralFacts:
    if how == "completed":
        return referral_moved(referral, ReferralCompleted, state="completed",
                              outcome="achieved", completed_at=now())  # fmt: skip
    return referral_moved(referral, ReferralCancelled, state="cancelled",
                          reason_code="no-longer-needed", cancelled_at=now())  # fmt: skip


async def _status(documents: DocumentsHarness, user: str, path: str) -> int:
    return (await documents.call(user, "GET", path)).status_code


@pytest.mark.parametrize("how", ["completed", "cancelled"])
async def test_a_partner_sees_readiness_while_its_referral_is_in_its_hands(
    documents: DocumentsHarness, how: str
) -> None:
    person, _ = await announce(documents)
    path = f"/v1/persons/{person.person_id}/readiness"
    created = referral_created(person)
    sent = _sent(created)
    assert await _status(documents, SCHOOL, path) == 404
    # A draft is not the agency's: the marker after it (same partition) proves it was read.
    draft_marker = referral_blocked(
        person, category="bank-account", missing=[["national-id"]],
        agency_id="riverton-savings-bank", agency_type="bank",
    )  # fmt: skip
    await documents.publish(created, draft_marker)

    async def draft_seen() -> bool:
        return bool(published(documents.broker, "homeward.documentation_task.raised.v1"))

    await eventually(draft_seen)
    assert await _status(documents, SCHOOL, path) == 404
    await documents.publish(sent)

    async def visible() -> bool:
        return await _status(documents, SCHOOL, path) == 200

    await eventually(visible)  # never blocked, yet the school has a referral for the person
    response = await documents.call(SCHOOL, "GET", path)
    assert response.json() == {"person_id": str(person.person_id),
                               "ready": {"school-enrolment": False}}  # fmt: skip
    assert await _status(documents, POLICE, path) == 404

    await documents.publish(_ended(sent, how))

    async def hidden() -> bool:
        return await _status(documents, SCHOOL, path) == 404

    await eventually(hidden)
    # A replayed earlier event does not reopen the view. The marker after it, on the same
    # case's partition, raises a task for another agency: once seen, the replays are done.
    marker = referral_blocked(person, category="housing", missing=[["national-id"]],
                              agency_id="riverton-housing", agency_type="housing")  # fmt: skip
    await documents.publish(sent, created, marker)

    async def marker_seen() -> bool:
        return len(published(documents.broker, "homeward.documentation_task.raised.v1")) == 2

    await eventually(marker_seen)
    assert await _status(documents, SCHOOL, path) == 404
    assert await _status(documents, POLICE, path) == 404


async def test_the_partner_keeps_access_while_any_referral_of_its_agency_is_open(
    documents: DocumentsHarness,
) -> None:
    person, _ = await announce(documents)
    path = f"/v1/persons/{person.person_id}/readiness"
    first, second = _sent(referral_created(person)), _sent(referral_created(person))
    await documents.publish(first, second, _ended(first, "completed"))

    async def processed() -> bool:
        return await _status(documents, SCHOOL, path) == 200

    await eventually(processed)
    await documents.publish(_ended(second, "cancelled"))

    async def hidden() -> bool:
        return await _status(documents, SCHOOL, path) == 404

    await eventually(hidden)


async def test_a_closed_case_closes_its_open_tasks(documents: DocumentsHarness) -> None:
    person, _ = await announce(documents)
    await documents.publish(referral_blocked(person))

    async def raised() -> bool:
        return len(await open_tasks(documents)) == 1

    await eventually(raised)
    closed = CaseClosed(case_id=person.case_id, case_code=person.case_code,
                        municipality="riverton", reason="left-the-programme",
                        closed_at=now())  # fmt: skip
    await documents.publish(closed)

    async def task_closed() -> bool:
        return bool(published(documents.broker, "homeward.documentation_task.closed.v1"))

    await eventually(task_closed)
    assert await open_tasks(documents) == []
    (event,) = published(documents.broker, "homeward.documentation_task.closed.v1")
    assert event["closed_because"] == "case-closed"
    await documents.publish(closed)  # redelivered: nothing more to close
    assert len(published(documents.broker, "homeward.documentation_task.closed.v1")) == 1


@pytest.mark.parametrize("how", ["completed", "cancelled"])
async def test_an_ended_referral_closes_its_documentation_task(
    documents: DocumentsHarness, how: str
) -> None:
    person, _ = await announce(documents)
    blocked = referral_blocked(person)
    await documents.publish(blocked)

    async def raised() -> bool:
        return len(await open_tasks(documents)) == 1

    await eventually(raised)
    created = referral_created(person).model_copy(update={"referral_id": blocked.referral_id})
    await documents.publish(_ended(created, how))

    async def task_closed() -> bool:
        return bool(published(documents.broker, "homeward.documentation_task.closed.v1"))

    await eventually(task_closed)
    assert await open_tasks(documents) == []
    (event,) = published(documents.broker, "homeward.documentation_task.closed.v1")
    assert event["closed_because"] == "referral-ended"
    assert event["referral_id"] == str(blocked.referral_id)
