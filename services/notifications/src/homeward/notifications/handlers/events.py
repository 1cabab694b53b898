"""The consumer's handlers: learn facts from events, route, dispatch.

Each runs inside the consumer's transaction together with the inbox record, so an event
delivered twice makes its notifications once.

The read models are kept with one statement per fact (an upsert, or an update, returning
the row), and through the table rather than ORM objects: nothing
about them sits in the session's identity map to go stale across a batch of events. Nothing
the handler reads is written by a pending (unflushed) row of the consumer's transaction, so
its reads do not autoflush: what is pending goes to the database once, at commit. A
referral is read once before its upsert: who may hear of the event depends on the state the
referral was in before it (the agency hears of the ending of what was in its hands).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import Executable, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.contracts import intake
from homeward.common.contracts.referrals import ReferralFacts as ReferralFactsContract
from homeward.common.contracts.referrals import ReferralRoute
from homeward.common.db import utcnow
from homeward.common.events import CloudEvent, EventContract, Handler
from homeward.notifications.adapters.tables import CaseFactsRow, ReferralFactsRow
from homeward.notifications.domain.content import build_content
from homeward.notifications.domain.facts import CaseFacts, ReferralFacts, RoutedEvent
from homeward.notifications.domain.routing import route
from homeward.notifications.handlers.dispatch import dispatch, lookups_of

CASES: Table = CaseFactsRow.__table__  # type: ignore[attr-defined]
REFERRALS: Table = ReferralFactsRow.__table__  # type: ignore[attr-defined]
CASE_COLUMNS = tuple(CASES.c[name] for name in ("case_id", "case_code", "municipality",
                                               "coordinator"))  # fmt: skip
REFERRAL_COLUMNS = tuple(column for column in REFERRALS.c if column.name != "updated_at")
# Both backends upsert with `INSERT .. ON CONFLICT .. DO UPDATE .. RETURNING`.
UPSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def event_handler(*, app_base_url: str) -> Handler:
    """One handler for every consumed contract: the read models learn from all of them."""

    async def handle(session: AsyncSession, event: EventContract, envelope: CloudEvent) -> None:
        await handle_event(session, event=event, envelope=envelope, app_base_url=app_base_url)

    return handle


async def handle_event(
    session: AsyncSession, *, event: EventContract, envelope: CloudEvent, app_base_url: str
) -> None:
    case_id = str(getattr(event, "case_id", None) or envelope.key)
    # Pending rows here are inbox records, inbox items' emails and deliveries: none of them
    # is read below, so they need not be flushed before each query.
    with session.no_autoflush:
        case = await _learn_case(session, event=event, case_id=case_id)
        before, referral = await _learn_referral(session, event=event, case_id=case_id)
        case_referrals: list[ReferralFacts] = []
        if isinstance(event, intake.ConsentRevoked):
            rows = await session.exec(CASE_REFERRALS, params={"case_id": case_id})
            case_referrals = [_referral_facts(row._mapping) for row in rows]
        routed = RoutedEvent(contract=event, case=case, referral=referral,
                             referral_before=before, case_referrals=case_referrals)  # fmt: skip
        routing = route(routed)
        if routing is None:
            return
        content = build_content(routed, summary=routing.summary, app_base_url=app_base_url)
        await dispatch(
            session,
            event_id=envelope.id,
            content=content,
            recipients=routing.recipients,
            lookups=lookups_of(session),
        )


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


# The statements, built once (and so compiled once): each event only binds its values.
CASE_SELECT = select(*CASE_COLUMNS).where(CASES.c.case_id == bindparam("case_id"))
CASE_UPDATE = (  # SET: the columns named by the parameters besides `the_case_id`
    CASES.update().where(CASES.c.case_id == bindparam("the_case_id")).returning(*CASE_COLUMNS)
)
CASE_REFERRALS = select(*REFERRAL_COLUMNS).where(REFERRALS.c.case_id == bindparam("case_id"))
REFERRAL_SELECT = select(*REFERRAL_COLUMNS).where(
    REFERRALS.c.referral_id == bindparam("referral_id")
)


@lru_cache(maxsize=64)
def _case_upsert(dialect: str, changed: tuple[str, ...]) -> Executable:
    insert = UPSERTS[dialect](CASES)
    # Nothing to change: a no-op assignment, so that RETURNING hands back the row as it is.
    updates = {name: insert.excluded[name] for name in changed} or {"case_code": CASES.c.case_code}
    return insert.on_conflict_do_update(index_elements=[CASES.c.case_id], set_=updates).returning(
        *CASE_COLUMNS
    )


@lru_cache(maxsize=64)
def _referral_upsert(dialect: str, changed: tuple[str, ...]) -> Executable:
    insert = UPSERTS[dialect](REFERRALS)
    updates = {name: insert.excluded[name] for name in changed}
    return insert.on_conflict_do_update(
        index_elements=[REFERRALS.c.referral_id], set_=updates
    ).returning(*REFERRAL_COLUMNS)


async def _learn_case(
    session: AsyncSession, *, event: EventContract, case_id: str
) -> CaseFacts | None:
    """Known from the first event that names both its code and municipality; then only
    assignments and transfers change it."""
    # Every contract of a case names its code and municipality by these fields, if at all.
    code, municipality = getattr(event, "case_code", None), getattr(event, "municipality", None)
    changes: dict[str, Any] = {}
    if isinstance(event, intake.CoordinatorAssigned):
        changes = {"coordinator": event.coordinator, "updated_at": utcnow()}
    elif isinstance(event, intake.CaseTransferred):
        # The receiving municipality assigns its own coordinator.
        municipality = event.to_municipality
        changes = {"municipality": municipality, "coordinator": None, "updated_at": utcnow()}
    if code and municipality:
        values = {"case_id": case_id, "case_code": code, "municipality": municipality,
                  "coordinator": None, "updated_at": utcnow()} | changes  # fmt: skip
        statement = _case_upsert(_dialect(session), tuple(changes))
        rows = await session.exec(statement, params=values)  # type: ignore[call-overload]
    elif changes:
        rows = await session.exec(CASE_UPDATE, params={"the_case_id": case_id} | changes)
    else:
        rows = await session.exec(CASE_SELECT, params={"case_id": case_id})
    row = rows.first()
    return CaseFacts(**row._mapping) if row is not None else None


async def _learn_referral(
    session: AsyncSession, *, event: EventContract, case_id: str
) -> tuple[ReferralFacts | None, ReferralFacts | None]:
    """The referral as known before the event and after it: every referral event names its
    agency; lifecycle events also carry the state the referral reached."""
    if not isinstance(event, ReferralRoute):
        return None, None
    referral_id = str(event.referral_id)
    found = (await session.exec(REFERRAL_SELECT, params={"referral_id": referral_id})).first()
    before = _referral_facts(found._mapping) if found is not None else None
    changes: dict[str, Any] = {
        "agency_id": event.agency_id, "agency_type": event.agency_type,
        "person_id": str(event.person_id), "service_category": event.service_category,
        "updated_at": utcnow(),
    }  # fmt: skip
    if isinstance(event, ReferralFactsContract):
        changes["state"] = event.state.value
    statement = _referral_upsert(_dialect(session), tuple(changes))
    values = {"referral_id": referral_id, "case_id": case_id, "state": None} | changes
    rows = await session.exec(statement, params=values)  # type: ignore[call-overload]
    row = rows.first()
    return before, (_referral_facts(row._mapping) if row is not None else None)


def _referral_facts(row: Mapping[str, Any]) -> ReferralFacts:
    return ReferralFacts(**row)
