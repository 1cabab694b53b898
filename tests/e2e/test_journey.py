"""The journey: a returning family through all four services, on the embedded stack.

A mother and two children are registered; assessments, consent (health and education, not
religious), three referrals (school blocked on a birth certificate, health, religious blocked
on consent with a sequencing warning); the documents officer issues the birth certificate, the
school's system hears of it by signed webhook, accepts and completes; the health referral
outlives its deadline and reaches the supervisor; the family moves to lakeside; finally its
identities are erased. Every step runs through the public APIs with real tokens, the real
broker and the services' own processes, exactly as `make run` starts them. At every step a
caller of the wrong municipality, agency or role is refused, and at the end the bus, the logs,
the notifications, the webhooks and the emails are searched for the family's identities.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from homeward.common.testing.databases import scratch_database_url, selected_backends
from tests.conftest import require_backend
from tests.e2e.journey import (
    BIRTH_CERTIFICATE_NUMBER,
    ELDER,
    MOTHER,
    MOTHER_ID_CARD_NUMBER,
    YOUNGER,
    Callers,
    eventually,
    everything_on_the_bus,
    live_stream,
    personal_data_in,
    today,
)
from tests.e2e.stack import SERVICES, running_stack
from tests.notifications.helpers import WebhookReceiver, smtp_server, webhook_receiver

pytestmark = [pytest.mark.stack, pytest.mark.timeout(600)]

COORDINATOR, SUPERVISOR = "coordinator.riverton", "supervisor.riverton"
OFFICER = "documents.riverton"
NEW_COORDINATOR, NEW_SUPERVISOR = "coordinator.lakeside", "supervisor.lakeside"
COORDINATOR_EMAIL = "coordinator@riverton.example"
READ_FOR = {"X-Purpose": "case-review"}  # every identity read states why, for the audit trail
SEQUENCING_WARNING = "religious-guidance-before-basic-needs-or-mental-health"
# The health referral's acceptance deadline passes in about 11 s, the supervisor's in twice that.
HEALTH_ACCEPTANCE_HOURS = 0.003


@dataclass
class Family:
    case_id: str
    code: str
    mother: str
    elder: str
    younger: str

    def person(self, person_id: str) -> str:
        return f"/v1/cases/{self.case_id}/persons/{person_id}"


@dataclass
class Referrals:
    school: str
    health: str
    religious: str


@pytest.fixture(params=selected_backends())
async def service_databases(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[dict[str, str]]:
    """The stack's databases: its own SQLite files (as `make run`), or a PostgreSQL schema per
    service (as production, one database per service)."""
    await require_backend(request.param)
    if request.param == "sqlite":
        yield {}
        return
    async with contextlib.AsyncExitStack() as scratch:
        yield {
            f"HOMEWARD_{service.upper()}_DATABASE_URL": await scratch.enter_async_context(
                scratch_database_url("postgresql", tmp_path)
            )
            for service in (*SERVICES, "console")
        }


async def test_a_returning_family_through_every_service(
    tmp_path: Path, service_databases: dict[str, str]
) -> None:
    with smtp_server() as (mailbox, smtp_port):
        settings = service_databases | {
            "HOMEWARD_ACCEPTANCE_DEADLINE_HOURS": json.dumps(
                {"health-care": HEALTH_ACCEPTANCE_HOURS}
            ),
            "HOMEWARD_OVERDUE_CHECK_INTERVAL_S": "1",
            "HOMEWARD_WEBHOOK_POLL_INTERVAL_S": "0.2",
            "HOMEWARD_EMAIL_POLL_INTERVAL_S": "0.2",
            "HOMEWARD_SMTP_HOST": "127.0.0.1",
            "HOMEWARD_SMTP_PORT": str(smtp_port),
        }
        async with (
            webhook_receiver() as school_system,
            running_stack(tmp_path, settings) as stack,
            httpx.AsyncClient(timeout=10) as http,
        ):
            j = Callers(stack, http)
            async with live_stream(j, COORDINATOR) as coordinator_stream:
                family = await register_the_family(j)
                await assess_and_record_consent(j, family)
                await subscribe_the_school_and_the_coordinator(j, school_system)
                await record_the_mothers_id_card(j, family)
                referrals = await refer(j, family)
                await issue_the_birth_certificate(j, family, referrals)
                await school_system_accepts_and_completes(j, school_system, referrals, family)
                notification_ids = await coordinator_saw_each_step(j, family, mailbox)
                await eventually(
                    lambda: notification_ids <= {n["id"] for n in coordinator_stream},
                    what="every inbox notification also on the live stream",
                )
            await health_referral_escalates_to_the_supervisor(j, family, referrals)
            await family_moves_to_lakeside(j, family, referrals)
            await identities_are_erased(j, family, referrals)
            await nothing_personal_left_the_services(
                j, coordinator_stream, school_system, mailbox.messages
            )
            # It ran on the databases asked for: SQLite files only when no PostgreSQL was given.
            sqlite_files = list(stack.data_dir.glob("data/*.db"))
            assert len(sqlite_files) == (0 if service_databases else len(SERVICES) + 1)


async def register_the_family(j: Callers) -> Family:
    def person(ref: str, role: str, year: int, sex: str, identity: dict, **extra: str) -> dict:
        return {
            "ref": ref,
            "household_role": role,
            "birth_year": year,
            "sex": sex,
            "identity": identity,
            **extra,
        }

    response = await j.call(
        COORDINATOR,
        "intake",
        "POST",
        "/v1/cases",
        json={
            "return_operation": "Journey repatriation",
            "arrival_date": today(),
            "placement": "rehabilitation-centre",
            "persons": [
                person("mother", "mother", 1993, "female", MOTHER),
                person("elder", "child", 2016, "female", ELDER, guardian_ref="mother"),
                person("younger", "child", 2020, "male", YOUNGER, guardian_ref="mother"),
            ],
        },
    )
    assert response.status_code == 201, response.text
    assert personal_data_in(response.text) == []  # the case view is pseudonymous
    case = response.json()
    assert case["code"].startswith("HW-") and case["municipality"] == "riverton"
    assert [p["has_identity"] for p in case["persons"]] == [True, True, True]
    family = Family(case["id"], case["code"], *(p["id"] for p in case["persons"]))

    identity = await j.ok(
        COORDINATOR, "intake", "GET", family.person(family.mother) + "/identity", headers=READ_FOR
    )
    assert identity["full_name"] == MOTHER["full_name"]
    await j.refused(
        "intake",
        "GET",
        f"/v1/cases/{family.case_id}",
        {NEW_COORDINATOR: 404, "school.riverton": 403, "school-system": 403, None: 401},
    )
    await j.refused(
        "intake",
        "GET",
        family.person(family.mother) + "/identity",
        {NEW_SUPERVISOR: 404, "police.riverton": 403, "auditor": 403},
        headers=READ_FOR,
    )
    return family


async def assess_and_record_consent(j: Callers, family: Family) -> None:
    assessments = {
        family.mother: {
            "basic-needs": "urgent",
            "mental-health-and-trauma": "high",
            "legal-documentation": "high",
        },
        family.elder: {"education": "high", "mental-health-and-trauma": "high"},
    }
    for person_id, levels in assessments.items():
        path = family.person(person_id) + "/assessments"
        assessment = {"assessed_on": today(), "levels": levels}
        await j.ok(COORDINATOR, "intake", "POST", path, json=assessment)
        refused = {NEW_COORDINATOR: 404, "health.riverton": 403}
        await j.refused("intake", "POST", path, refused, json=assessment)
    a_year = (datetime.now(UTC).date() + timedelta(days=365)).isoformat()
    # The mother consents to health and to education disclosure, not to religious; for her
    # daughter also to identity for schools (a school must enrol a child by name).
    for person_id, agency_type, categories in (
        (family.mother, "health", ["health"]),
        (family.elder, "school", ["education", "identity"]),
    ):
        path = family.person(person_id) + "/consents"
        await j.ok(
            COORDINATOR,
            "intake",
            "POST",
            path,
            json={
                "recipient_agency_type": agency_type,
                "categories": categories,
                "legal_basis": "consent",
                "given_by_person_id": family.mother,
                "valid_until": a_year,
            },
        )
        await j.refused("intake", "GET", path, {NEW_COORDINATOR: 404, "school-system": 403})


async def subscribe_the_school_and_the_coordinator(
    j: Callers, school_system: WebhookReceiver
) -> None:
    created = await j.ok(
        "school-system",
        "notifications",
        "POST",
        "/v1/webhooks/subscriptions",
        json={"url": school_system.url},
    )
    school_system.secret = created["secret"]
    assert created["agency_id"] == "riverton-primary-school"
    await j.refused(
        "notifications",
        "GET",
        f"/v1/webhooks/subscriptions/{created['id']}",
        {"police-system": 404, COORDINATOR: 403},
    )
    await j.ok(
        COORDINATOR, "notifications", "PUT", "/v1/me/email", json={"address": COORDINATOR_EMAIL}
    )


async def record_the_mothers_id_card(j: Callers, family: Family) -> None:
    """The mother kept her identity card: health care needs one identity document."""
    record = await _record(j, family.mother, "national-id")
    await j.ok(
        OFFICER,
        "documents",
        "POST",
        f"/v1/records/{record['id']}/status",
        json={
            "to_status": "issued",
            "issued_on": "2019-06-01",
            "issuing_authority": "Riverton civil registry",
            "reference_number": MOTHER_ID_CARD_NUMBER,
        },
    )
    await j.refused(
        "documents",
        "GET",
        f"/v1/records/{record['id']}",
        {"documents.lakeside": 404, "school.riverton": 403},
    )

    async def ready_for_health_care() -> bool:
        readiness = await j.ok(
            OFFICER, "documents", "GET", f"/v1/persons/{family.mother}/readiness"
        )
        return "health-care" in readiness["ready_categories"]

    await eventually(ready_for_health_care, what="the mother ready for health care")


async def _record(j: Callers, person_id: str, document_type: str) -> dict:
    """The person's record of `document_type`, created when documents has none yet."""

    async def known() -> dict | None:
        response = await j.call(OFFICER, "documents", "GET", f"/v1/persons/{person_id}/records")
        return response.json() if response.status_code == 200 else None

    records = await eventually(known, what="documents knows the person")
    for record in records["records"]:
        if record["document_type"] == document_type:
            return record
    return await j.ok(
        OFFICER,
        "documents",
        "POST",
        f"/v1/persons/{person_id}/records",
        json={"document_type": document_type},
    )


async def refer(j: Callers, family: Family) -> Referrals:
    async def create(
        person_id: str, agency_id: str, category: str, disclose: list[str], *, send: bool
    ) -> dict:
        body = {
            "case_id": family.case_id,
            "person_id": person_id,
            "agency_id": agency_id,
            "service_category": category,
            "reason": f"referral for {category}",
            "disclose": disclose,
            "send": send,
        }

        async def created() -> dict | None:
            response = await j.call(COORDINATOR, "referrals", "POST", "/v1/referrals", json=body)
            # 404/422 until referrals has heard of the case and person from intake.
            assert response.status_code in (201, 404, 422), response.text
            return response.json() if response.status_code == 201 else None

        return await eventually(created, what=f"the {category} referral created")

    # School: prepared as a draft until documents has said what the child lacks, then sent;
    # sending is remembered and happens once the birth certificate is there.
    school = await create(
        family.elder, "riverton-primary-school", "school-enrolment", ["education"], send=False
    )
    school = await _until(
        j,
        school["id"],
        lambda r: r["blocked_on"] == ["documents"],
        what="the school referral blocked on documents",
    )
    assert school["missing_documents"] == [["birth-certificate", "guardianship-order"]]
    school = await j.ok(
        COORDINATOR, "referrals", "POST", f"/v1/referrals/{school['id']}/send", json={}
    )
    assert school["state"] == "draft" and school["send_requested"]

    health = await create(
        family.mother, "riverton-health-centre", "health-care", ["health"], send=True
    )
    health = await _until(
        j, health["id"], lambda r: r["state"] == "requested", what="the health referral sent"
    )

    religious = await create(
        family.mother, "riverton-faith-council", "religious-guidance", ["religious"], send=True
    )
    assert religious["state"] == "draft" and religious["blocked_on"] == ["consent"]
    assert religious["missing_consent"] == ["religious"]
    assert religious["warnings"] == [SEQUENCING_WARNING]

    for referral in (school, religious):  # never sent: the agencies do not know of them
        await j.refused(
            "referrals",
            "GET",
            f"/v1/referrals/{referral['id']}",
            {"school-system": 404, "religious.riverton": 404, NEW_COORDINATOR: 404},
        )
    await j.refused(
        "referrals",
        "GET",
        f"/v1/referrals/{health['id']}",
        {"school-system": 404, NEW_COORDINATOR: 404, "auditor": 403, None: 401},
    )
    return Referrals(school=school["id"], health=health["id"], religious=religious["id"])


async def _until(j: Callers, referral_id: str, condition, *, what: str, who: str = COORDINATOR):
    async def check() -> dict | None:
        referral = await j.ok(who, "referrals", "GET", f"/v1/referrals/{referral_id}")
        return referral if condition(referral) else None

    return await eventually(check, what=what)


async def issue_the_birth_certificate(j: Callers, family: Family, referrals: Referrals) -> None:
    async def task() -> dict | None:
        tasks = (await j.ok(OFFICER, "documents", "GET", "/v1/tasks"))["items"]
        return next((t for t in tasks if t["referral_id"] == referrals.school), None)

    raised = await eventually(task, what="a documentation task for the school referral")
    assert raised["needed"] == [["birth-certificate", "guardianship-order"]]
    await j.refused(
        "documents",
        "GET",
        f"/v1/persons/{family.elder}/records",
        {"documents.lakeside": 404, "school-system": 403},
    )

    certificate = await _record(j, family.elder, "birth-certificate")
    issued = await j.ok(
        OFFICER,
        "documents",
        "POST",
        f"/v1/records/{certificate['id']}/status",
        json={
            "to_status": "issued",
            "issued_on": today(),
            "issuing_authority": "Riverton civil registry",
            "reference_number": BIRTH_CERTIFICATE_NUMBER,
        },
    )
    assert issued["status"] == "issued"
    await _until(
        j,
        referrals.school,
        lambda r: r["state"] == "requested" and not r["blocked_on"],
        what="the school referral unblocked and sent",
    )
    await eventually(lambda: _task_closed(j, referrals.school), what="the task closed")


async def _task_closed(j: Callers, referral_id: str) -> bool:
    tasks = (await j.ok(OFFICER, "documents", "GET", "/v1/tasks"))["items"]
    return not any(t["referral_id"] == referral_id for t in tasks)


async def school_system_accepts_and_completes(
    j: Callers, school_system: WebhookReceiver, referrals: Referrals, family: Family
) -> None:
    def sent_to_school() -> dict | None:
        return next(
            (
                r["json"]
                for r in school_system.accepted
                if r["json"]["type"] == "homeward.referral.sent.v1"
                and r["json"]["data"]["details"].get("referral_id") == referrals.school
            ),
            None,
        )

    await eventually(sent_to_school, what="the school's system notified by webhook")
    assert all(r["verified"] for r in school_system.requests)  # every delivery signed

    path = f"/v1/referrals/{referrals.school}"
    seen = await j.ok("school-system", "referrals", "GET", path)
    assert seen["case_summary"]["categories"] == ["education"]  # what the mother consented to
    await j.refused(
        "referrals",
        "POST",
        path + "/accept",
        {"health-system": 404, "police.riverton": 404, COORDINATOR: 403},
    )
    reveal = f"/v1/agency/persons/{family.elder}/identity"
    enrol = {"X-Purpose": "documentation"}
    await j.refused("intake", "GET", reveal, {"school-system": 404}, headers=enrol)  # not yet
    accepted = await j.ok("school-system", "referrals", "POST", path + "/accept", json={})
    assert accepted["state"] == "accepted"

    async def revealed() -> dict | None:
        response = await j.call("school-system", "intake", "GET", reveal, headers=enrol)
        return response.json() if response.status_code == 200 else None

    # Intake learns of the acceptance from referrals' events: need to know, and consent.
    named = await eventually(revealed, what="the school may reveal the child's name")
    assert (named["full_name"], named["date_of_birth"]) == (
        ELDER["full_name"], ELDER["date_of_birth"],
    )  # fmt: skip
    assert "place_of_birth" not in named
    await j.refused("intake", "GET", reveal,
                    {"police.riverton": 404, "health-system": 404, COORDINATOR: 403, None: 401},
                    headers=enrol)  # fmt: skip
    completed = await j.ok(
        "school-system", "referrals", "POST", path + "/complete", json={"outcome": "achieved"}
    )
    assert completed["state"] == "completed" and completed["outcome"] == "achieved"

    async def no_longer_revealed() -> bool:
        response = await j.call("school-system", "intake", "GET", reveal, headers=enrol)
        return response.status_code == 404

    await eventually(no_longer_revealed, what="the reveal ends with the referral")
    school_reads = {"agency_id": "riverton-primary-school", "action": "identity.read"}
    trail = await j.ok("auditor", "intake", "GET", "/v1/audit", params=school_reads)
    # Every read, the ones while the completion was on its way included, is in the trail.
    assert trail["items"] and {(e["case_code"], e["purpose"]) for e in trail["items"]} == {
        (family.code, "documentation")
    }


async def coordinator_saw_each_step(j: Callers, family: Family, mailbox) -> set[int]:
    steps = {
        "homeward.referral.blocked.v1",
        "homeward.referral.unblocked.v1",
        "homeward.referral.accepted.v1",
        "homeward.referral.completed.v1",
    }

    async def inbox() -> list[dict] | None:
        items = (await j.ok(COORDINATOR, "notifications", "GET", "/v1/notifications"))["items"]
        mine = [n for n in items if n["case_code"] == family.code]
        return mine if steps <= {n["event_type"] for n in mine} else None

    notifications = await eventually(inbox, what="the coordinator's inbox has every step")
    others = (await j.ok(NEW_COORDINATOR, "notifications", "GET", "/v1/notifications"))["items"]
    assert family.code not in json.dumps(others)  # not yet lakeside's family
    await j.refused(
        "notifications",
        "GET",
        f"/v1/notifications/{notifications[0]['id']}",
        {NEW_COORDINATOR: 404, "school.riverton": 404},
    )

    async def emailed() -> bool:
        return any(COORDINATOR_EMAIL in m["to"] for m in mailbox.messages)

    await eventually(emailed, what="the coordinator emailed")
    return {n["id"] for n in notifications}


async def health_referral_escalates_to_the_supervisor(
    j: Callers, family: Family, referrals: Referrals
) -> None:
    async def escalated_to(who: str) -> bool:
        items = (await j.ok(who, "notifications", "GET", "/v1/notifications"))["items"]
        return any(
            n["event_type"] == "homeward.referral.escalated.v1" and n["case_code"] == family.code
            for n in items
        )

    await eventually(lambda: escalated_to(COORDINATOR), what="escalated to the coordinator")
    await eventually(lambda: escalated_to(SUPERVISOR), what="escalated to the supervisor")
    assert not await escalated_to(NEW_SUPERVISOR)
    health = await j.ok(SUPERVISOR, "referrals", "GET", f"/v1/referrals/{referrals.health}")
    assert health["state"] == "requested"  # still waiting for the health centre


async def family_moves_to_lakeside(j: Callers, family: Family, referrals: Referrals) -> None:
    transfer = await j.ok(
        COORDINATOR,
        "intake",
        "POST",
        f"/v1/cases/{family.case_id}/transfers",
        json={"to_municipality": "lakeside"},
    )
    await j.refused(
        "intake",
        "POST",
        f"/v1/transfers/{transfer['id']}/accept",
        {SUPERVISOR: 403, "school.riverton": 403},  # the sender may not accept,
    )
    await j.ok(NEW_SUPERVISOR, "intake", "POST", f"/v1/transfers/{transfer['id']}/accept", json={})

    case = await j.ok(NEW_COORDINATOR, "intake", "GET", f"/v1/cases/{family.case_id}")
    assert case["municipality"] == "lakeside"
    await j.refused("intake", "GET", f"/v1/cases/{family.case_id}", {COORDINATOR: 404})

    async def referrals_moved() -> bool:
        listed = await j.ok(NEW_COORDINATOR, "referrals", "GET", "/v1/referrals")
        return {referrals.health, referrals.religious} <= {r["id"] for r in listed["items"]}

    await eventually(referrals_moved, what="the open referrals moved to lakeside")
    for referral_id in (referrals.health, referrals.religious):
        await j.refused("referrals", "GET", f"/v1/referrals/{referral_id}", {COORDINATOR: 404})

    async def records_moved() -> bool:
        path = f"/v1/persons/{family.elder}/records"
        return (await j.call("documents.lakeside", "documents", "GET", path)).status_code == 200

    await eventually(records_moved, what="the documents records moved to lakeside")
    await j.refused("documents", "GET", f"/v1/persons/{family.elder}/records", {OFFICER: 404})


async def identities_are_erased(j: Callers, family: Family, referrals: Referrals) -> None:
    indicators = await j.ok(NEW_SUPERVISOR, "referrals", "GET", "/v1/indicators")
    overview = await j.ok(NEW_SUPERVISOR, "documents", "GET", "/v1/overview")
    assert indicators["referrals"]  # the family's open referrals count here now
    await j.refused(
        "intake",
        "POST",
        f"/v1/cases/{family.case_id}/erasure",
        {SUPERVISOR: 404, NEW_COORDINATOR: 403},
    )
    erased = await j.ok(NEW_SUPERVISOR, "intake", "POST", f"/v1/cases/{family.case_id}/erasure")
    assert erased["case_code"] == family.code

    for person_id in (family.mother, family.elder, family.younger):
        response = await j.call(
            NEW_COORDINATOR,
            "intake",
            "GET",
            family.person(person_id) + "/identity",
            headers=READ_FOR,
        )
        assert response.status_code == 410, response.text
    case = await j.ok(NEW_COORDINATOR, "intake", "GET", f"/v1/cases/{family.case_id}")
    assert len(case["persons"]) == 3  # the case itself stays: it still counts
    assert await j.ok(NEW_SUPERVISOR, "referrals", "GET", "/v1/indicators") == indicators
    assert await j.ok(NEW_SUPERVISOR, "documents", "GET", "/v1/overview") == overview
    health = await j.ok(NEW_COORDINATOR, "referrals", "GET", f"/v1/referrals/{referrals.health}")
    assert health["state"] == "requested"


async def nothing_personal_left_the_services(
    j: Callers, stream: list[dict], school_system: WebhookReceiver, emails: list[dict]
) -> None:
    bus = await everything_on_the_bus(j.stack.kafka_bootstrap)
    assert {topic for topic, _, _ in bus} >= {
        "homeward.intake.cases",
        "homeward.referrals.referrals",
        "homeward.documents.records",
    }
    leaks = {
        "bus": personal_data_in(
            "".join((key + value).decode(errors="replace") for _, key, value in bus)
        ),
        "logs": personal_data_in(j.stack.logs()),
        "live stream": personal_data_in(json.dumps(stream)),
        "webhooks": personal_data_in("".join(r["body"] for r in school_system.requests)),
        "emails": personal_data_in("".join(m["raw"] for m in emails)),
    }
    for who in (
        COORDINATOR,
        SUPERVISOR,
        OFFICER,
        NEW_COORDINATOR,
        NEW_SUPERVISOR,
        "documents.lakeside",
        "school.riverton",
        "health.riverton",
        "admin",
    ):
        inbox = await j.call(who, "notifications", "GET", "/v1/notifications")
        leaks[f"inbox of {who}"] = personal_data_in(inbox.text)
    assert {where: found for where, found in leaks.items() if found} == {}
    assert emails and school_system.requests and stream  # each channel was really searched
