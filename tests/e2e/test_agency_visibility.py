"""Issue 11's "done when": every referral lifecycle event, as referrals' own aggregate makes it,
goes to documents and notifications (their real consumers and handlers, each on a real
database, one broker). After each one, no agency has heard of, or can read about, a referral
that is not in its hands: not before it is sent, not after it ended, the ending itself aside.

The test keeps its own idea of "in the agency's hands" (written out below, not imported) and
checks the positive side too (the sending, a cancellation, a revocation reach the agency), so
that telling nobody anything cannot pass.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from homeward.common.contracts import referrals as contracts
from homeward.common.contracts.intake import CaseRegistered, ConsentRevoked, PersonAdded
from homeward.common.events import CloudEvent, EventContract, InMemoryBroker, registry
from homeward.common.events.inbox import ProcessedEvent
from homeward.common.testing.apps import ServiceHarness, running_service
from homeward.common.testing.databases import scratch_database_url
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.common.testing.kafka import wait_for
from homeward.documents.app import create_app as create_documents
from homeward.documents.settings import DocumentsSettings
from homeward.notifications.app import create_app as create_notifications
from homeward.referrals.domain.deadlines import DeadlineKind, EscalationLevel, Overdue
from homeward.referrals.domain.lifecycle import Action, Outcome, ReasonCode
from homeward.referrals.domain.referral import Deadlines, Referral
from tests.notifications.conftest import NotificationsHarness, fast_settings

IN_HANDS = {"requested", "accepted", "in-progress", "on-hold"}  # sent and not ended
SCHOOL, SCHOOL_AGENCY = ("school.riverton", "school-system"), "riverton-primary-school"
CASE, PERSON = uuid.uuid4(), uuid.uuid4()
COORDINATOR, AGENCY_ACTOR = "https://idp#coordinator", "https://idp#school"


@dataclass
class Stack:
    documents: ServiceHarness
    notifications: NotificationsHarness
    broker: InMemoryBroker
    states: dict[str, str] = field(default_factory=dict)  # referral id -> state, as published
    published: set[type[EventContract]] = field(default_factory=set)


@pytest.fixture
async def stack(
    database_url: str, identity_provider: RunningIdentityProvider, tmp_path: Path
) -> AsyncIterator[Stack]:
    broker = InMemoryBroker()
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    async with scratch_database_url(backend, tmp_path) as documents_url:
        documents_settings = DocumentsSettings(
            database_url=documents_url, oidc_issuer=identity_provider.issuer,
            relay_poll_interval_s=0.05, expiry_check_enabled=False,
        )  # fmt: skip
        notifications_settings = fast_settings(
            database_url=database_url, oidc_issuer=identity_provider.issuer
        )
        async with (
            running_service(create_documents, documents_settings, idp=identity_provider,
                            broker=broker) as documents,
            running_service(create_notifications, notifications_settings,
                            idp=identity_provider, broker=broker) as notifications,
        ):  # fmt: skip
            yield Stack(documents, NotificationsHarness(**vars(notifications)), broker)


def new_referral(**gates: list) -> tuple[Referral, list[EventContract]]:
    return Referral.create(
        id=str(uuid.uuid4()), case_id=str(CASE), case_code="HW-7KQ3-M9",
        person_id=str(PERSON), person_code="P-4TXR-8N", municipality="riverton",
        agency_id=SCHOOL_AGENCY, agency_type="school", service_category="school-enrolment",
        priority="routine", reason="enrol the child", disclose=["education"], warnings=[],
        created_by=COORDINATOR, now=datetime.now(UTC), send=gates.pop("send", True),
        deadlines=Deadlines(acceptance=timedelta(days=5), completion=timedelta(days=30)),
        **({"missing_consent": [], "missing_documents": []} | gates),
    )  # fmt: skip


def revoked() -> ConsentRevoked:
    return ConsentRevoked(consent_id=uuid.uuid4(), case_id=CASE, case_code="HW-7KQ3-M9",
                          person_id=PERSON, recipient_agency_type="school",
                          revoked_at=datetime.now(UTC))  # fmt: skip


async def _inbox_size(stack: Stack) -> dict[str, int]:
    return {user: len(await stack.notifications.inbox(user)) for user in SCHOOL}


async def _processed(harness: ServiceHarness, event_id: str) -> bool:
    async with harness.database.session() as session:
        query = select(ProcessedEvent).where(ProcessedEvent.event_id == event_id)
        return (await session.exec(query)).first() is not None


async def deliver(stack: Stack, event: EventContract, *, told: bool | None = None) -> None:
    """Publish `event` to both services, wait until each has handled it, check the rule."""
    referral_id = str(getattr(event, "referral_id", ""))
    before = stack.states.get(referral_id)
    state = getattr(event, "state", None)
    after = state.value if state is not None else before
    allowed = before in IN_HANDS or after in IN_HANDS
    if isinstance(event, ConsentRevoked):  # about the person: any of the school's referrals
        allowed = any(s in IN_HANDS for s in stack.states.values())
    inbox_before = await _inbox_size(stack)

    cloud_event = CloudEvent(id=str(uuid.uuid4()), type=event.event_type,
                             source="/homeward/tests", time=datetime.now(UTC), key=str(CASE),
                             data=event.model_dump(mode="json"))  # fmt: skip
    record = cloud_event.to_kafka()
    producer = stack.broker.producer("tests")
    await producer.start()
    await producer.send(event.topic, key=record.key, value=record.value, headers=record.headers)
    await producer.stop()
    await wait_for(lambda: _processed(stack.notifications, cloud_event.id))
    if type(event) in stack.documents.app.state.consumers[0].contracts:
        await wait_for(lambda: _processed(stack.documents, cloud_event.id))
    if referral_id:
        stack.states[referral_id] = after or "draft"
    stack.published.add(type(event))

    inbox_after = await _inbox_size(stack)
    heard = {user for user in SCHOOL if inbox_after[user] > inbox_before[user]}
    what = f"{event.event_type} ({before} -> {after})"
    assert allowed or not heard, f"{heard} heard of {what}, not in the agency's hands"
    if told is not None:
        assert heard == (set(SCHOOL) if told else set()), what
    readable = any(s in IN_HANDS for s in stack.states.values())
    response = await stack.documents.call(SCHOOL[0], "GET", f"/v1/persons/{PERSON}/readiness")
    assert response.status_code == (200 if readable else 404), (what, response.text)


async def deliver_all(stack: Stack, events: list[EventContract], **expect: bool) -> None:
    for event in events:
        await deliver(stack, event, **expect)


async def test_no_agency_hears_or_reads_of_a_referral_outside_its_hands(stack: Stack) -> None:
    now = datetime.now(UTC)
    await deliver(stack, CaseRegistered(case_id=CASE, case_code="HW-7KQ3-M9",
                                        municipality="riverton", placement="independent",
                                        arrival_date=now.date(), person_count=1,
                                        registered_at=now))  # fmt: skip
    await deliver(stack, PersonAdded(case_id=CASE, case_code="HW-7KQ3-M9", municipality="riverton",
                                     person_id=PERSON, person_code="P-4TXR-8N",
                                     household_role="child", birth_year=2017, sex="female",
                                     age_group="child"))  # fmt: skip

    # A draft's whole life, never sent: blocked, overridden, revoked, entered in error.
    draft, events = new_referral(send=False, missing_consent=["education"])
    await deliver_all(stack, events, told=False)
    overridden = draft.override_consent(
        legal_basis="public-task", reason="duty", actor=COORDINATOR, now=now
    )
    await deliver_all(stack, overridden, told=False)
    await deliver(stack, revoked(), told=False)  # the leak of issue 11: nobody relies on it
    held = draft.consent_revoked(missing_consent=["education"], missing_documents=[], now=now)
    await deliver_all(stack, held, told=False)
    await deliver_all(stack, draft.act(Action.MARK_ENTERED_IN_ERROR, actor=COORDINATOR, now=now),
                      told=False)  # fmt: skip

    # Blocked on documents, then sent: the agency hears of it from the sending on.
    work, events = new_referral(missing_documents=[["birth-certificate"]])
    await deliver_all(stack, events, told=False)
    *unblocked, sent = work.update_gates(missing_consent=[], missing_documents=[], now=now)
    await deliver_all(stack, unblocked, told=False)
    await deliver(stack, sent, told=True)
    for action in (Action.ACCEPT, Action.START):
        await deliver_all(stack, work.act(action, actor=AGENCY_ACTOR, now=now))
    overdue = Overdue(kind=DeadlineKind.COMPLETION, level=EscalationLevel.COORDINATOR, due_at=now)
    await deliver_all(stack, work.escalate(overdue, now=now))
    await deliver(stack, revoked(), told=True)  # in its hands now: the agency must know
    await deliver_all(stack, work.consent_revoked(missing_consent=["education"],
                                                  missing_documents=[], now=now))  # fmt: skip
    await deliver_all(stack, work.update_gates(missing_consent=[], missing_documents=[], now=now),
                      told=True)  # unblocked while on hold  # fmt: skip
    await deliver_all(stack, work.act(Action.RESUME, actor=AGENCY_ACTOR, now=now))
    await deliver_all(stack, work.reassign(municipality="lakeside", now=now))
    await deliver_all(stack, work.act(Action.HOLD, actor=AGENCY_ACTOR, now=now,
                                      reason=ReasonCode.OTHER))  # fmt: skip
    await deliver_all(stack, work.act(Action.COMPLETE, actor=AGENCY_ACTOR, now=now,
                                      outcome=Outcome.ACHIEVED))  # fmt: skip

    # The other endings: rejected, cancelled by the coordinator and by the agency, failed.
    for actor, ending, arguments, told_of_ending in [
        (AGENCY_ACTOR, [Action.REJECT], {"reason": ReasonCode.NO_CAPACITY}, False),
        (COORDINATOR, [Action.CANCEL], {"reason": ReasonCode.DUPLICATE}, True),
        (AGENCY_ACTOR, [Action.ACCEPT, Action.CANCEL], {"reason": ReasonCode.OTHER}, True),
        (AGENCY_ACTOR, [Action.ACCEPT, Action.FAIL], {"reason": ReasonCode.PERSON_MOVED}, False),
    ]:
        referral, events = new_referral()
        await deliver_all(stack, events)
        for action in ending[:-1]:
            await deliver_all(stack, referral.act(action, actor=actor, now=now))
        [end] = referral.act(ending[-1], actor=actor, now=now, **arguments)
        await deliver(stack, end, told=told_of_ending)  # the ending itself may be told
    # Everything has ended: revoking consent again tells the agency nothing.
    await deliver(stack, revoked(), told=False)

    # Every event about a referral (suggestions share the topic but name no receiving agency).
    referral_contracts = {c for c in registry.contracts() if issubclass(c, contracts.ReferralRoute)}
    assert referral_contracts <= stack.published, referral_contracts - stack.published
