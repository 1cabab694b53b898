"""The consumer's handlers: learn facts from events, route, dispatch.

Each runs inside the consumer's transaction together with the inbox record, so an event
delivered twice makes its notifications once.

The read models are kept with one statement per fact (an upsert, or an update, returning
the row), never a read then a write, and through the table rather than ORM objects: nothing
about them sits in the session's identity map to go stale across a batch of events. Nothing
the handler reads is written by a pending (unflushed) row of the consumer's transaction, so
its reads do not autoflush: what is pending goes to the database once, at commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any

from sqlalchemy import Executable, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.db import utcnow
from homeward.common.events import CloudEvent, EventContract, Handler
from homeward.notifications.adapters.tables import CaseFactsRow, ReferralFactsRow
from homeward.notifications.domain.content import build_content
from homeward.notifications.domain.facts import CaseFacts, ReferralFacts, RoutedEvent
from homeward.notifications.domain.routing import route
from homeward.notifications.handlers.dispatch import dispatch, lookups_of

# Referral states after which an agency no longer relies on the case's consent.
REFERRAL_ENDED = frozenset(
    {"referral.completed", "referral.failed", "referral.cancelled", "referral.rejected",
     "referral.voided"}
)  # fmt: skip
# Referral facts taken from any event that carries them.
REFERRAL_FIELDS = ("agency_id", "agency_type", "person_id", "service_category")

CASES: Table = CaseFactsRow.__table__  # type: ignore[attr-defined]
REFERRALS: Table = ReferralFactsRow.__table__  # type: ignore[attr-defined]
CASE_COLUMNS = tuple(CASES.c[name] for name in ("case_id", "case_code", "municipality",
                                               "coordinator"))  # fmt: skip
REFERRAL_COLUMNS = tuple(column for column in REFERRALS.c if column.name != "updated_at")
# Both backends upsert with `INSERT .. ON CONFLICT .. DO UPDATE .. RETURNING`.
UPSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def event_handler(*, app_base_url: str) -> Handler:
    async def handle(session: AsyncSession, event: EventContract, envelope: CloudEvent) -> None:
        await handle_event(session, envelope=envelope, app_base_url=app_base_url)

    return handle


async def handle_event(session: AsyncSession, *, envelope: CloudEvent, app_base_url: str) -> None:
    # The envelope's data, not the parsed contract: fields are read defensively by name, so
    # one handler serves every version and every contract other teams are still growing.
    probe = RoutedEvent(event_type=envelope.type, data=envelope.data)
    case_id = probe.text("case_id") or envelope.key
    # Pending rows here are inbox records, inbox items' emails and deliveries: none of them
    # is read below, so they need not be flushed before each query.
    with session.no_autoflush:
        case = await _learn_case(session, probe=probe, case_id=case_id)
        referral = await _learn_referral(session, probe=probe, case_id=case_id)
        case_referrals: list[ReferralFacts] = []
        if probe.action == "consent.revoked":
            rows = await session.exec(CASE_REFERRALS, params={"case_id": case_id})
            case_referrals = [_referral_facts(row._mapping) for row in rows]
        routed = replace(probe, case=case, referral=referral, case_referrals=case_referrals)
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
REFERRAL_UPDATE = (
    REFERRALS.update()
    .where(REFERRALS.c.referral_id == bindparam("the_referral_id"))
    .returning(*REFERRAL_COLUMNS)
)
CASE_REFERRALS = select(*REFERRAL_COLUMNS).where(REFERRALS.c.case_id == bindparam("case_id"))


@lru_cache(maxsize=64)
def _case_upsert(dialect: str, changed: tuple[str, ...]) -> Executable:
    insert = UPSERTS[dialect](CASES)
    # Nothing to change: a no-op assignment, so that RETURNING hands back the row as it is.
    updates = {name: insert.excluded[name] for name in changed} or {"case_code": CASES.c.case_code}
    return insert.on_conflict_do_update(index_elements=[CASES.c.case_id], set_=updates).returning(
        *CASE_COLUMNS
    )


@lru_cache(maxsize=64)
def _referral_upsert(dialect: str, changed: tuple[str, ...], ended: bool) -> Executable:
    insert = UPSERTS[dialect](REFERRALS)
    updates = {name: insert.excluded[name] for name in changed}
    if ended:
        updates["active"] = insert.excluded.active
    return insert.on_conflict_do_update(
        index_elements=[REFERRALS.c.referral_id], set_=updates
    ).returning(*REFERRAL_COLUMNS)


async def _learn_case(
    session: AsyncSession, *, probe: RoutedEvent, case_id: str
) -> CaseFacts | None:
    """Known from the first event that names both its code and municipality; then only
    assignments and transfers change it."""
    code, municipality = probe.text("case_code"), probe.text("municipality")
    if probe.action == "case.transferred":
        municipality = probe.text("to_municipality")
    changes: dict[str, Any] = {}
    if probe.action == "case.coordinator_assigned" and (coordinator := probe.text("coordinator")):
        changes = {"coordinator": coordinator, "updated_at": utcnow()}
    elif probe.action == "case.transferred" and municipality:
        # The receiving municipality assigns its own coordinator.
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
    session: AsyncSession, *, probe: RoutedEvent, case_id: str
) -> ReferralFacts | None:
    """Known from the first event that names its agency; later events add what they carry,
    and an ending event marks it inactive."""
    referral_id = probe.text("referral_id")
    if referral_id is None:
        return None
    changes: dict[str, Any] = {
        name: value for name in REFERRAL_FIELDS if (value := probe.text(name))
    }
    if requester := probe.text("requested_by") or probe.text("requester"):
        changes["requested_by"] = requester
    ended = probe.action in REFERRAL_ENDED
    changes["updated_at"] = utcnow()
    if "agency_id" in changes:
        statement = _referral_upsert(_dialect(session), tuple(changes), ended)
        values = {"referral_id": referral_id, "case_id": case_id, "active": not ended} | changes
        rows = await session.exec(statement, params=values)  # type: ignore[call-overload]
    else:
        if ended:
            changes["active"] = False
        rows = await session.exec(
            REFERRAL_UPDATE, params={"the_referral_id": referral_id} | changes
        )
    row = rows.first()
    return _referral_facts(row._mapping) if row is not None else None


def _referral_facts(row: Mapping[str, Any]) -> ReferralFacts:
    return ReferralFacts(**row)
