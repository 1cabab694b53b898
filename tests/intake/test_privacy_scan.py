"""A full scenario, then a search of every event and every log line for its identities.

Known names, ID numbers, birth dates, places, addresses and phone numbers go in through the
API; afterwards neither the outbox, nor what the relay put on the broker, nor any log record
(message and structured extras), nor the list responses and errors may contain one of them.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlmodel import select

from homeward.common.events import OutboxRecord
from homeward.common.testing.apps import ServiceHarness
from tests.intake.intake_helpers import FAMILY_SECRETS, family, in_days

COORDINATOR = "coordinator.riverton"


async def test_no_identity_in_events_logs_lists_or_errors(
    intake: ServiceHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    responses: list[str] = []

    async def call(user: str, method: str, path: str, **kwargs: object) -> dict:
        response = await intake.call(user, method, path, **kwargs)  # type: ignore[arg-type]
        # Answers that may rightly show protected data: the identity read, and the notes a
        # coordinator just wrote. Every other answer, errors included, is scanned.
        shows_protected = path.endswith(("/identity", "/assessments", "/receiving-family"))
        if response.status_code >= 400 or not shows_protected:
            responses.append(response.text)
        return response.json() if response.content else {}

    case = await call(COORDINATOR, "POST", "/v1/cases", json=family())
    base = f"/v1/cases/{case['id']}"
    mother, child = case["persons"][0]["id"], case["persons"][1]["id"]
    await call(COORDINATOR, "GET", "/v1/cases")
    await call(COORDINATOR, "GET", f"{base}/persons/{mother}/identity",
               headers={"X-Purpose": "documentation"})  # fmt: skip
    # Bad input carrying identities must not echo them back or log them.
    await call(COORDINATOR, "POST", "/v1/cases", json=family(placement="Zaynab Qorvath-Elmira"))
    await call(COORDINATOR, "PUT", f"{base}/persons/{child}/identity",
               json={"full_name": "Liyana Qorvath", "date_of_birth": "1994-05-17"})  # fmt: skip
    await call(COORDINATOR, "PUT", f"{base}/persons/{child}/identity",
               json={"full_name": "Idris Qorvath", "national_id": "NID-99120577" * 10})  # fmt: skip
    await call(COORDINATOR, "POST", f"{base}/persons/{child}/assessments",
               json={"assessed_on": "2025-03-02", "levels": {"basic-needs": "high"},
                     "notes": "Liyana asks about Vantmoor"})  # fmt: skip
    await call(COORDINATOR, "PUT", f"{base}/receiving-family",
               json={"relation": "grandparents", "support_capacity": "limited",
                     "notes": "lives at 14 Quillon Lane"})  # fmt: skip
    consent = await call(COORDINATOR, "POST", f"{base}/persons/{child}/consents",
                         json={"recipient_agency_type": "school", "categories": ["education"],
                               "legal_basis": "consent", "given_by_person_id": mother,
                               "valid_until": in_days(100)})  # fmt: skip
    await call(COORDINATOR, "POST", f"{base}/persons/{child}/consents/{consent['id']}/revoke")
    await call(COORDINATOR, "PUT", f"{base}/coordinator", json={"coordinator": "coordinator.x"})
    closure = await call(COORDINATOR, "POST", f"{base}/closure-requests",
                         json={"reason": "moved-abroad"})  # fmt: skip
    await call("supervisor.riverton", "POST", f"/v1/closure-requests/{closure['id']}/reject",
               json={"reason": "support-still-needed"})  # fmt: skip
    transfer = await call(COORDINATOR, "POST", f"{base}/transfers",
                          json={"to_municipality": "lakeside"})  # fmt: skip
    await call("supervisor.lakeside", "POST", f"/v1/transfers/{transfer['id']}/accept")
    await call("supervisor.lakeside", "POST", f"{base}/close", json={"reason": "other"})
    await call("supervisor.lakeside", "POST", f"{base}/erasure")
    await call("auditor", "GET", "/v1/audit")

    async with intake.database.session() as session:
        outbox = (await session.exec(select(OutboxRecord))).all()
    types = {row.type for row in outbox}
    assert {"homeward.case.registered.v1", "homeward.person.added.v1",
            "homeward.case.coordinator_assigned.v1", "homeward.assessment.recorded.v1",
            "homeward.consent.granted.v1", "homeward.consent.revoked.v1",
            "homeward.transfer.requested.v1", "homeward.case.transferred.v1",
            "homeward.case.closure_requested.v1", "homeward.case.closure_rejected.v1",
            "homeward.case.closed.v1", "homeward.case.identities_erased.v1"} <= types  # fmt: skip
    for _ in range(100):  # let the relay publish everything
        if len(intake.broker.messages("homeward.intake.cases")) >= len(outbox):
            break
        await asyncio.sleep(0.05)
    published = intake.broker.messages("homeward.intake.cases")
    assert len(published) == len(outbox)

    haystacks = {
        "outbox": [repr(row.data) + repr(row.subject) for row in outbox],
        "broker": [repr(message) for message in published],
        "logs": [record.getMessage() + repr(vars(record)) for record in caplog.records],
        "responses": responses,
    }
    assert caplog.records, "the scenario should have produced log records to scan"
    leaks = [
        f"{where}: {secret!r}"
        for where, texts in haystacks.items()
        for text in texts
        for secret in FAMILY_SECRETS
        if secret in text
    ]
    assert not leaks, leaks
