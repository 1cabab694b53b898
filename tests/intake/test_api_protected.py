"""Identities, audit, erasure, receiving family, assessments, consent and transfers."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import select

from homeward.common.crypto import DataKeyMissing, DataKeyRow, IdentityVault, KeyRing
from homeward.common.settings import CommonSettings
from homeward.common.testing.apps import ServiceHarness
from homeward.intake.adapters.tables import IdentityRow
from tests.intake.intake_helpers import FAMILY_SECRETS, family, in_days

COORDINATOR = "coordinator.riverton"
SUPERVISOR = "supervisor.riverton"
PURPOSE = {"X-Purpose": "documentation"}


async def registered(intake: ServiceHarness) -> dict[str, Any]:
    response = await intake.call(COORDINATOR, "POST", "/v1/cases", json=family())
    assert response.status_code == 201, response.text
    return response.json()


def identity_path(case: dict[str, Any], index: int = 0) -> str:
    return f"/v1/cases/{case['id']}/persons/{case['persons'][index]['id']}/identity"


async def test_identity_read_needs_a_purpose_and_is_audited(intake: ServiceHarness) -> None:
    case = await registered(intake)
    missing = await intake.call(COORDINATOR, "GET", identity_path(case))
    assert missing.status_code == 422 and "X-Purpose" in missing.json()["detail"]
    unknown = await intake.call(
        COORDINATOR, "GET", identity_path(case), headers={"X-Purpose": "curious"}
    )
    assert unknown.status_code == 422
    read = await intake.call(COORDINATOR, "GET", identity_path(case), headers=PURPOSE)
    assert read.status_code == 200, read.text
    assert read.json()["full_name"] == "Zaynab Qorvath-Elmira"
    assert read.json()["date_of_birth"] == "1994-05-17"
    by_query = await intake.call(SUPERVISOR, "GET", identity_path(case) + "?purpose=safeguarding")
    assert by_query.status_code == 200

    audit = await intake.call(
        "auditor", "GET", f"/v1/audit?case_code={case['code']}&action=identity.read"
    )
    entries = audit.json()["items"]
    assert [e["purpose"] for e in entries] == ["safeguarding", "documentation"]
    assert entries[1]["subject_code"] == case["persons"][0]["code"]
    assert "full_name" in entries[1]["fields"] and entries[1]["actor"].endswith(
        "#" + entries[1]["actor"].split("#")[1]
    )
    assert not any(secret in audit.text for secret in FAMILY_SECRETS)


async def test_identity_is_replaced_not_echoed(intake: ServiceHarness) -> None:
    case = await registered(intake)
    response = await intake.call(
        COORDINATOR, "PUT", identity_path(case, 1),
        json={"full_name": "Liyana Q. Corrected", "date_of_birth": "2016-09-03"},
    )  # fmt: skip
    assert response.status_code == 200 and "Liyana" not in response.text
    assert response.json()["fields"] == ["date_of_birth", "full_name"]
    read = await intake.call(COORDINATOR, "GET", identity_path(case, 1), headers=PURPOSE)
    assert read.json()["full_name"] == "Liyana Q. Corrected"


async def _raw_database_text(intake: ServiceHarness) -> str:
    """Every row of every intake table as text, the way someone with a dump would see it."""
    dump: list[str] = []
    async with intake.database.engine.connect() as conn:
        for table in ("intake_cases", "intake_persons", "intake_identities",
                      "intake_assessments", "intake_receiving_families", "audit_trail",
                      "event_outbox", "vault_data_keys"):  # fmt: skip
            for row in (await conn.execute(text(f"SELECT * FROM {table}"))).all():
                dump.extend(
                    value.decode("latin-1") if isinstance(value, bytes) else str(value)
                    for value in row
                )
    return "\n".join(dump)


async def test_erasure_shreds_identities_even_in_the_raw_database(intake: ServiceHarness) -> None:
    case = await registered(intake)
    dump = await _raw_database_text(intake)
    assert not any(secret in dump for secret in FAMILY_SECRETS)
    async with intake.database.session() as session:
        backup = (
            await session.exec(select(IdentityRow).where(IdentityRow.case_id == case["id"]))
        ).all()
    assert backup  # a copy of the sealed rows, as a backup taken before erasure would hold

    refused = await intake.call(COORDINATOR, "POST", f"/v1/cases/{case['id']}/erasure")
    assert refused.status_code == 403
    erased = await intake.call(SUPERVISOR, "POST", f"/v1/cases/{case['id']}/erasure")
    assert erased.status_code == 200, erased.text
    again = await intake.call(SUPERVISOR, "POST", f"/v1/cases/{case['id']}/erasure")
    assert again.status_code == 409

    for user in (COORDINATOR, SUPERVISOR):
        gone = await intake.call(user, "GET", identity_path(case), headers=PURPOSE)
        assert gone.status_code == 410
    rewrite = await intake.call(COORDINATOR, "PUT", identity_path(case), json={"full_name": "A B"})
    assert rewrite.status_code == 410
    read = (await intake.call(COORDINATOR, "GET", f"/v1/cases/{case['id']}")).json()
    assert read["identities_erased"] and len(read["persons"]) == 3  # pseudonymous data stay
    assert not any(p["has_identity"] for p in read["persons"])

    vault = IdentityVault(KeyRing.from_settings(CommonSettings()))
    async with intake.database.session() as session:
        assert await session.get(DataKeyRow, case["id"]) is None
        with pytest.raises(DataKeyMissing):
            await vault.cipher_for(session, case["id"])
    for row in backup:  # even with the KEK at hand, the backed-up ciphertext is noise now
        assert not any(s.encode() in (row.full_name_sealed or b"") for s in FAMILY_SECRETS)
    dump = await _raw_database_text(intake)
    assert not any(secret in dump for secret in FAMILY_SECRETS)


async def test_assessment_history_and_notes_for_coordinators_only(intake: ServiceHarness) -> None:
    case = await registered(intake)
    path = f"/v1/cases/{case['id']}/persons/{case['persons'][1]['id']}/assessments"
    for day, level in (("2025-03-02", "urgent"), ("2025-04-02", "medium")):
        recorded = await intake.call(
            COORDINATOR, "POST", path,
            json={"assessed_on": day, "levels": {"mental-health-and-trauma": level},
                  "notes": "Nightmares about Vantmoor"},
        )  # fmt: skip
        assert recorded.status_code == 201, recorded.text
    history = (await intake.call(COORDINATOR, "GET", path)).json()
    assert [a["levels"]["mental-health-and-trauma"] for a in history] == ["medium", "urgent"]
    assert history[0]["notes"] == "Nightmares about Vantmoor"
    latest = (await intake.call(SUPERVISOR, "GET", path + "/latest")).json()
    assert latest["levels"] == {"mental-health-and-trauma": "medium"} and latest["notes"] is None
    mother_path = f"/v1/cases/{case['id']}/persons/{case['persons'][0]['id']}/assessments"
    mother_says = {"assessed_on": "2025-03-10", "levels": {"housing": "high"}}
    assert (
        await intake.call(COORDINATOR, "POST", mother_path, json=mother_says)
    ).status_code == 201
    # The whole family in one read, newest first, notes for coordinators only, as per person.
    everyone = f"/v1/cases/{case['id']}/assessments"
    by_coordinator = (await intake.call(COORDINATOR, "GET", everyone)).json()
    assert [a["assessed_on"] for a in by_coordinator] == ["2025-04-02", "2025-03-10", "2025-03-02"]
    assert {a["person_id"] for a in by_coordinator} == {p["id"] for p in case["persons"][:2]}
    assert by_coordinator[0]["notes"] == "Nightmares about Vantmoor"
    by_supervisor = (await intake.call(SUPERVISOR, "GET", everyone)).json()
    assert len(by_supervisor) == 3 and all(a["notes"] is None for a in by_supervisor)
    bad = await intake.call(
        COORDINATOR, "POST", path, json={"assessed_on": "2025-03-02", "levels": {"luck": "high"}}
    )
    assert bad.status_code == 422
    family_path = f"/v1/cases/{case['id']}/receiving-family"
    put = await intake.call(
        COORDINATOR, "PUT", family_path,
        json={"relation": "grandparents", "support_capacity": "adequate",
              "assessed_positive_support": False, "notes": "Grandfather Vantmoor contacts"},
    )  # fmt: skip
    assert put.status_code == 200 and put.json()["notes"] == "Grandfather Vantmoor contacts"
    seen_by_supervisor = (await intake.call(SUPERVISOR, "GET", family_path)).json()
    assert seen_by_supervisor["assessed_positive_support"] is False
    assert seen_by_supervisor["notes"] is None


async def test_consent_by_guardian_and_immediate_revocation(intake: ServiceHarness) -> None:
    case = await registered(intake)
    mother, child = case["persons"][0], case["persons"][1]
    path = f"/v1/cases/{case['id']}/persons/{child['id']}/consents"
    grant = {"recipient_agency_type": "school", "categories": ["education"],
             "legal_basis": "consent", "given_by_person_id": mother["id"],
             "valid_until": "2099-01-01"}  # fmt: skip
    too_long = await intake.call(COORDINATOR, "POST", path, json=grant)
    assert too_long.status_code == 422 and "at most" in too_long.json()["detail"]
    grant["valid_until"] = in_days(200)
    by_the_child = await intake.call(
        COORDINATOR, "POST", path, json={**grant, "given_by_person_id": child["id"]}
    )
    assert by_the_child.status_code == 422 and "guardian" in by_the_child.json()["detail"]
    unknown = await intake.call(
        COORDINATOR, "POST", path, json={**grant, "categories": ["finance"]}
    )
    assert unknown.status_code == 422
    granted = await intake.call(COORDINATOR, "POST", path, json=grant)
    assert granted.status_code == 201, granted.text
    assert granted.json()["in_force"] is True
    revoke = f"{path}/{granted.json()['id']}/revoke"
    revoked = await intake.call(COORDINATOR, "POST", revoke)
    assert revoked.status_code == 200 and revoked.json()["in_force"] is False
    assert (await intake.call(COORDINATOR, "POST", revoke)).status_code == 409
    listed = (await intake.call(SUPERVISOR, "GET", path)).json()
    assert [c["in_force"] for c in listed] == [False]
    # The whole family in one read: the child's revoked consent among the case's.
    everyone = (await intake.call(SUPERVISOR, "GET", f"/v1/cases/{case['id']}/consents")).json()
    assert [(c["person_id"], c["in_force"]) for c in everyone] == [(child["id"], False)]


async def test_consents_ending_soon_for_the_home_page(intake: ServiceHarness) -> None:
    case = await registered(intake)
    mother, child = case["persons"][0], case["persons"][1]
    path = f"/v1/cases/{case['id']}/persons/{child['id']}/consents"
    grant = {"recipient_agency_type": "school", "categories": ["education"],
             "legal_basis": "consent", "given_by_person_id": mother["id"]}  # fmt: skip
    for days in (10, 200):
        answer = await intake.call(COORDINATOR, "POST", path,
                                   json={**grant, "valid_until": in_days(days)})  # fmt: skip
        assert answer.status_code == 201, answer.text
    soon = (await intake.call(COORDINATOR, "GET", "/v1/consents/expiring")).json()
    assert [(c["case_code"], c["person_code"], c["valid_until"]) for c in soon] == [
        (case["code"], child["code"], in_days(10))
    ]
    later = await intake.call(SUPERVISOR, "GET", "/v1/consents/expiring?within_days=365")
    assert len(later.json()) == 2
    elsewhere = await intake.call("coordinator.lakeside", "GET", "/v1/consents/expiring")
    assert elsewhere.status_code == 200 and elsewhere.json() == []
    too_far = await intake.call(COORDINATOR, "GET", "/v1/consents/expiring?within_days=9999")
    assert too_far.status_code == 422


async def test_transfer_moves_the_case_and_its_access(intake: ServiceHarness) -> None:
    case = await registered(intake)
    path = f"/v1/cases/{case['id']}/transfers"
    same = await intake.call(COORDINATOR, "POST", path, json={"to_municipality": "Riverton"})
    assert same.status_code == 422
    requested = await intake.call(COORDINATOR, "POST", path, json={"to_municipality": "lakeside"})
    assert requested.status_code == 201, requested.text
    second = await intake.call(COORDINATOR, "POST", path, json={"to_municipality": "harbour"})
    assert second.status_code == 409 and "pending" in second.json()["detail"]
    transfer_id = requested.json()["id"]

    incoming = (await intake.call("coordinator.lakeside", "GET", "/v1/transfers")).json()
    assert [t["id"] for t in incoming] == [transfer_id]
    before = await intake.call("coordinator.lakeside", "GET", f"/v1/cases/{case['id']}")
    assert before.status_code == 404
    by_sender = await intake.call(SUPERVISOR, "POST", f"/v1/transfers/{transfer_id}/accept")
    assert by_sender.status_code == 403
    accepted = await intake.call(
        "supervisor.lakeside", "POST", f"/v1/transfers/{transfer_id}/accept"
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"

    moved = await intake.call("coordinator.lakeside", "GET", f"/v1/cases/{case['id']}")
    assert moved.status_code == 200 and moved.json()["municipality"] == "lakeside"
    assert moved.json()["coordinator"] is None
    identity = await intake.call(
        "coordinator.lakeside", "GET", identity_path(case), headers=PURPOSE
    )
    assert identity.status_code == 200
    for user in (COORDINATOR, SUPERVISOR):
        assert (await intake.call(user, "GET", f"/v1/cases/{case['id']}")).status_code == 404
        assert (
            await intake.call(user, "GET", identity_path(case), headers=PURPOSE)
        ).status_code == 404
    decided = await intake.call(
        "supervisor.lakeside", "POST", f"/v1/transfers/{transfer_id}/decline",
        json={"reason": "no-capacity"},
    )  # fmt: skip
    assert decided.status_code == 409


async def test_without_a_token_the_identity_route_says_401_and_nothing_else(
    intake: ServiceHarness,
) -> None:
    path = "/v1/cases/nope/persons/nope/identity"
    for response in (
        await intake.http.get(path),
        await intake.http.get(f"{path}?purpose=gossip"),
        await intake.http.put(
            path, content=b"{not json", headers={"content-type": "application/json"}
        ),
    ):
        assert response.status_code == 401
        assert "safeguarding" not in response.text and "errors" not in response.json()


async def test_lax_dates_and_booleans_are_refused(intake: ServiceHarness) -> None:
    body = {"return_operation": "2025 spring", "arrival_date": 0, "placement": "independent"}
    refused = await intake.call("coordinator.riverton", "POST", "/v1/cases", json=body)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "arrival_date"]
