"""A referral created while the person's consent arrives, on PostgreSQL, in both orders.

Creating a referral reads the person's consents; a consent arriving re-gates the person's
open referrals. Run at once without `lock_person`, each misses what the other has not yet
committed, and the referral stays blocked on a consent that exists (a write skew). The test
holds the first transaction open until the second is waiting for a lock (or, without the
lock, has committed), then commits the first: whichever commits second must see the other.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.auth import Principal, Role
from homeward.common.events import CloudEvent
from homeward.common.testing.kafka import wait_for
from homeward.referrals.commands import CreateReferral
from homeward.referrals.handlers.events import IntakeAndDocumentsHandlers
from homeward.referrals.handlers.referrals import stage_referral
from tests.referrals.conftest import ReferralsHarness
from tests.referrals.helpers import Family, now, referral_body

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
COORDINATOR = Principal(
    issuer="tests", subject="coordinator", roles=frozenset({Role.COORDINATOR}),
    municipality="riverton", username="coordinator.riverton",
)  # fmt: skip
Step = Callable[[AsyncSession], Awaitable[None]]


@pytest.mark.parametrize("first", ["referral", "consent"])
async def test_a_referral_and_a_consent_at_once_end_consistent(
    referrals: ReferralsHarness, first: str
) -> None:
    family = await referrals.family()  # the referral needs the school's education consent
    created: list[str] = []

    async def create(session: AsyncSession) -> None:
        command = CreateReferral.model_validate(referral_body(family))
        row = await stage_referral(
            session, principal=COORDINATOR, command=command, settings=referrals.settings
        )
        created.append(row.id)

    async def consent(session: AsyncSession) -> None:
        event = family.consent(family.child, "school", ["education"])
        handlers = IntakeAndDocumentsHandlers(referrals.settings)
        await handlers.consent_granted(session, event, _envelope(family))

    steps: dict[str, Step] = {"referral": create, "consent": consent}
    second = next(step for name, step in steps.items() if name != first)
    database = referrals.database
    async with database.session() as holding, database.session() as other:
        await steps[first](holding)  # written, not committed
        pid = (await other.exec(text("SELECT pg_backend_pid()"))).one()[0]

        async def run_second() -> None:
            await second(other)
            await other.commit()

        task = asyncio.create_task(run_second())
        await wait_for(lambda: _done_or_waiting_for_a_lock(referrals, task, pid))
        await holding.commit()
        await task

    answer = await referrals.call("coordinator.riverton", "GET", f"/v1/referrals/{created[0]}")
    referral = answer.json()
    assert referral["missing_consent"] == [] and referral["blocked_on"] == [], referral
    assert referral["state"] == "requested"  # sent once no gate held it


async def _done_or_waiting_for_a_lock(
    referrals: ReferralsHarness, task: asyncio.Task[None], pid: int
) -> bool:
    if task.done():
        return True
    async with referrals.database.session() as session:
        query = text("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = :pid AND NOT granted)")
        return bool((await session.exec(query, params={"pid": pid})).one()[0])


def _envelope(family: Family) -> CloudEvent:
    """The envelope the handler is given with the event (it reads only the event)."""
    return CloudEvent(id=str(uuid.uuid4()), type="homeward.intake.consent_granted.v1",
                      source="/homeward/tests", time=now(), key=family.case_id)  # fmt: skip
