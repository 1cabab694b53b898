"""The FHIR API role by role, status updates moving the referral as the REST API does, and
every resource it answers validated by fhir.resources' models (R4B, see pyproject.toml)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fhir.resources.R4B import get_fhir_model_class

from tests.referrals.conftest import ReferralsHarness
from tests.referrals.helpers import Family, referral_body

FHIR = "/fhir/R4"
REASONS = "https://homeward.example/fhir/CodeSystem/referral-reason"
OUTPUT_TYPE = "https://homeward.example/fhir/CodeSystem/referral-output-type"
OUTCOMES = "https://homeward.example/fhir/CodeSystem/referral-outcome"


def fhir_json(response: httpx.Response, status: int, resource_type: str) -> dict[str, Any]:
    """The body of a FHIR answer, after checking its status, media type and validity."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    assert body["resourceType"] == resource_type
    get_fhir_model_class(resource_type).model_validate(body)  # raises on an invalid resource
    return body


def refused(response: httpx.Response, status: int) -> str:
    """An OperationOutcome with `status`; its diagnostics."""
    outcome = fhir_json(response, status, "OperationOutcome")
    return " ".join(issue["diagnostics"] for issue in outcome["issue"])


async def _referrals(referrals: ReferralsHarness) -> tuple[Family, dict[str, str]]:
    family = await referrals.consented_family()
    await referrals.feed(family.consent(family.mother, "police", ["legal"]))
    police = referral_body(family, person_id=family.mother, agency_id="riverton-police",
                           service_category="legal-aid", disclose=["legal"])  # fmt: skip
    ids = {
        "school": (await referrals.create_referral(referral_body(family)))["id"],
        "police": (await referrals.create_referral(police))["id"],
        "draft": (await referrals.create_referral(referral_body(family, send=False)))["id"],
    }
    return family, ids


def with_status(task: dict[str, Any], status: str, **elements: Any) -> dict[str, Any]:
    changed = {k: v for k, v in task.items() if k not in ("statusReason", "output")}
    return {**changed, "status": status, **elements}


def reason(code: str) -> dict[str, Any]:
    return {"coding": [{"system": REASONS, "code": code}], "text": code}


async def test_capability_statement_needs_no_token(referrals: ReferralsHarness) -> None:
    statement = fhir_json(await referrals.http.get(f"{FHIR}/metadata"), 200,
                          "CapabilityStatement")  # fmt: skip
    assert statement["fhirVersion"] == "4.0.1"
    task = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Task")
    assert {i["code"] for i in task["interaction"]} == {"read", "search-type", "update"}


READERS = {
    "coordinator.riverton": 200, "supervisor.riverton": 200, "school.riverton": 200,
    "school-system": 200, "coordinator.lakeside": 404, "police.riverton": 404,
    "auditor": 403, "admin": 403,
}  # fmt: skip


async def test_reading_role_by_role(referrals: ReferralsHarness) -> None:
    _, ids = await _referrals(referrals)
    school = ids["school"]
    for path, kind in ((f"Task/{school}", "Task"), (f"ServiceRequest/{school}", "ServiceRequest")):
        for user, status in READERS.items():
            response = await referrals.call(user, "GET", f"{FHIR}/{path}")
            if status == 200:
                fhir_json(response, 200, kind)
            else:
                refused(response, status)
        refused(await referrals.http.get(f"{FHIR}/{path}"), 401)
    # What the caller may not see answers as what does not exist; a draft is not the agency's.
    hidden = await referrals.call("school.riverton", "GET", f"{FHIR}/Task/{ids['draft']}")
    missing = await referrals.call("school.riverton", "GET", f"{FHIR}/Task/no-such-task")
    assert refused(hidden, 404) == refused(missing, 404)
    # Ids are FHIR ids: anything else (a NUL byte PostgreSQL would choke on) is bad input.
    for bad in (f"{FHIR}/Task/a%00b", f"{FHIR}/ServiceRequest/a%00b", f"{FHIR}/Task?owner=%00"):
        refused(await referrals.call("coordinator.riverton", "GET", bad), 422)


async def test_task_and_service_request_are_pseudonymous(referrals: ReferralsHarness) -> None:
    family, ids = await _referrals(referrals)
    task = fhir_json(await referrals.call("school-system", "GET", f"{FHIR}/Task/{ids['school']}"),
                     200, "Task")  # fmt: skip
    assert task["status"] == "requested" and task["intent"] == "order"
    assert task["code"]["coding"][0]["code"] == "fulfill"
    assert task["focus"]["reference"] == f"ServiceRequest/{ids['school']}"
    assert task["for"]["identifier"]["value"] == family.child_code
    assert task["owner"]["reference"] == "Organization/riverton-primary-school"
    assert task["requester"]["identifier"]["value"] == "riverton"
    assert task["restriction"]["period"]["end"] > task["restriction"]["period"]["start"]
    request = fhir_json(
        await referrals.call("school-system", "GET", f"{FHIR}/ServiceRequest/{ids['school']}"),
        200, "ServiceRequest",
    )  # fmt: skip
    assert request["status"] == "active"
    assert request["code"]["coding"][0]["code"] == "school-enrolment"
    for resource in (task, request):
        text = str(resource)
        # Neither the coordinator's free-text reason nor anything but codes of the person.
        assert "enrol in year 4" not in text and family.child not in text
        assert "birth" not in text and "note" not in resource


async def test_search_by_status_and_owner_paged(referrals: ReferralsHarness) -> None:
    _, ids = await _referrals(referrals)
    bundle = fhir_json(await referrals.call("coordinator.riverton", "GET", f"{FHIR}/Task",
                                            params={"status": "requested",
                                                    "owner": "Organization/riverton-police"}),
                       200, "Bundle")  # fmt: skip
    assert bundle["type"] == "searchset" and bundle["total"] == 1
    assert [e["resource"]["id"] for e in bundle["entry"]] == [ids["police"]]
    first = fhir_json(await referrals.call("coordinator.riverton", "GET", f"{FHIR}/Task",
                                           params={"_count": 2}), 200, "Bundle")  # fmt: skip
    assert first["total"] == 3 and len(first["entry"]) == 2
    next_url = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = fhir_json(await referrals.call("coordinator.riverton", "GET", next_url), 200,
                       "Bundle")  # fmt: skip
    seen = {e["resource"]["id"] for e in first["entry"] + second["entry"]}
    assert seen == set(ids.values())
    assert not any(link["relation"] == "next" for link in second["link"])
    # A partner finds only what is in its hands, whatever owner it names.
    own = fhir_json(await referrals.call("school-system", "GET", f"{FHIR}/Task"), 200, "Bundle")
    assert [e["resource"]["id"] for e in own["entry"]] == [ids["school"]]
    other = await referrals.call("school-system", "GET", f"{FHIR}/Task",
                                 params={"owner": "Organization/riverton-police"})  # fmt: skip
    assert fhir_json(other, 200, "Bundle")["total"] == 0
    # Page sizes are bounded; bad parameters are refused after the token, never before.
    big = await referrals.call("coordinator.riverton", "GET", f"{FHIR}/Task",
                               params={"_count": 10_000})  # fmt: skip
    assert f"_count={referrals.settings.max_page_size}" in fhir_json(big, 200, "Bundle")[
        "link"][0]["url"]  # fmt: skip
    refused(await referrals.call("coordinator.riverton", "GET", f"{FHIR}/Task",
                                 params={"status": "received"}), 422)  # fmt: skip
    refused(await referrals.http.get(f"{FHIR}/Task", params={"status": "received"}), 401)
    refused(await referrals.call("auditor", "GET", f"{FHIR}/Task"), 403)


OUTCOME = {
    "type": {"coding": [{"system": OUTPUT_TYPE, "code": "outcome"}]},
    "valueCodeableConcept": {"coding": [{"system": OUTCOMES, "code": "achieved"}]},
}
# The same journey by FHIR status and by REST action.
JOURNEY = [
    ("accepted", {}, "accept", {}),
    ("in-progress", {}, "start", {}),
    ("on-hold", {"statusReason": reason("person-unreachable")}, "hold",
     {"reason": "person-unreachable"}),
    ("in-progress", {}, "resume", {}),
    ("completed", {"output": [OUTCOME]}, "complete", {"outcome": "achieved"}),
]  # fmt: skip


async def test_status_updates_move_the_referral_as_rest_does(referrals: ReferralsHarness) -> None:
    family, ids = await _referrals(referrals)
    by_rest = (await referrals.create_referral(referral_body(family)))["id"]
    path = f"{FHIR}/Task/{ids['school']}"
    task = fhir_json(await referrals.call("school-system", "GET", path), 200, "Task")
    for status, elements, action, body in JOURNEY:
        response = await referrals.call("school-system", "PUT", path,
                                        json=with_status(task, status, **elements))  # fmt: skip
        task = fhir_json(response, 200, "Task")
        assert task["status"] == status
        rest = await referrals.call("school-system", "POST",
                                    f"/v1/referrals/{by_rest}/{action}", json=body)  # fmt: skip
        assert rest.status_code == 200 and rest.json()["state"] == status, rest.text
        if status == "on-hold":
            assert task["statusReason"]["coding"][0]["code"] == "person-unreachable"
    assert task["output"][0]["valueCodeableConcept"]["coding"][0]["code"] == "achieved"
    read = (await referrals.call("coordinator.riverton", "GET",
                                 f"/v1/referrals/{ids['school']}")).json()  # fmt: skip
    assert read["state"] == "completed" and read["outcome"] == "achieved"

    async def events_of(referral_id: str) -> list[tuple[str, Any, Any]]:
        records = [r for r in await referrals.outbox() if r.data["referral_id"] == referral_id]
        return [(r.type, r.data.get("reason_code"), r.data.get("outcome")) for r in records]

    by_fhir = await events_of(ids["school"])
    assert by_fhir == await events_of(by_rest)
    assert [kind.split(".")[2] for kind, _, _ in by_fhir] == [
        "created", "sent", "accepted", "started", "held", "resumed", "completed",
    ]  # fmt: skip
    # The same status again changes nothing and emits nothing.
    again = await referrals.call("school-system", "PUT", path, json=task)
    assert fhir_json(again, 200, "Task")["lastModified"] == task["lastModified"]
    assert await events_of(ids["school"]) == by_fhir


async def test_the_requester_cancels_through_fhir(referrals: ReferralsHarness) -> None:
    _, ids = await _referrals(referrals)
    path = f"{FHIR}/Task/{ids['police']}"
    task = fhir_json(await referrals.call("coordinator.riverton", "GET", path), 200, "Task")
    response = await referrals.call("coordinator.riverton", "PUT", path,
                                    json=with_status(task, "cancelled",
                                                     statusReason=reason("duplicate")))  # fmt: skip
    cancelled = fhir_json(response, 200, "Task")
    assert cancelled["statusReason"]["coding"][0]["code"] == "duplicate"
    assert cancelled["statusReason"]["text"]
    assert len(await referrals.outbox("homeward.referral.cancelled.v1")) == 1
    served = await referrals.call("coordinator.riverton", "GET", f"{FHIR}/ServiceRequest/"
                                  f"{ids['police']}")  # fmt: skip
    assert fhir_json(served, 200, "ServiceRequest")["status"] == "revoked"


async def test_the_requester_sends_a_draft_or_marks_it_in_error(
    referrals: ReferralsHarness,
) -> None:
    family, ids = await _referrals(referrals)
    path = f"{FHIR}/Task/{ids['draft']}"
    draft = fhir_json(await referrals.call("coordinator.riverton", "GET", path), 200, "Task")
    assert draft["status"] == "draft" and "restriction" not in draft
    refused(await referrals.call("school-system", "PUT", path,
                                 json=with_status(draft, "requested")), 404)  # fmt: skip
    sent = await referrals.call("coordinator.riverton", "PUT", path,
                                json=with_status(draft, "requested"))  # fmt: skip
    assert fhir_json(sent, 200, "Task")["status"] == "requested"
    assert "restriction" in sent.json()  # the acceptance deadline now runs
    other = (await referrals.create_referral(referral_body(family, send=False)))["id"]
    task = fhir_json(await referrals.call("coordinator.riverton", "GET", f"{FHIR}/Task/{other}"),
                     200, "Task")  # fmt: skip
    voided = await referrals.call("coordinator.riverton", "PUT", f"{FHIR}/Task/{other}",
                                  json=with_status(task, "entered-in-error",
                                                   statusReason=reason("duplicate")))  # fmt: skip
    assert fhir_json(voided, 200, "Task")["statusReason"]["coding"][0]["code"] == "duplicate"
    types = [
        r.type for r in await referrals.outbox() if r.data["referral_id"] in (ids["draft"], other)
    ]
    assert "homeward.referral.sent.v1" in types
    assert "homeward.referral.voided.v1" in types


@pytest.mark.parametrize(
    ("user", "status", "elements", "code", "says"),
    [
        # The responder's actions are not the requester's, and the reverse.
        ("coordinator.riverton", "accepted", {}, 403, "receiver"),
        ("auditor", "accepted", {}, 403, "roles"),
        ("supervisor.riverton", "accepted", {}, 403, "roles"),
        ("police.riverton", "accepted", {}, 404, "no such referral"),
        ("coordinator.lakeside", "cancelled", {"statusReason": reason("duplicate")}, 404,
         "no such referral"),
        # An illegal transition names the statuses that may follow.
        ("school-system", "completed", {}, 409,
         "allowed next states: accepted, cancelled, rejected"),
        ("school-system", "draft", {}, 409, "allowed next states"),
        ("school-system", "rejected", {}, 422, "reason code is required"),
        ("school-system", "rejected", {"statusReason": {"text": "full"}}, 422, "statusReason"),
        ("school-system", "received", {}, 422, "SDOHCC referral Task statuses"),
        ("school-system", "accepted", {"owner": {"reference": "Organization/riverton-police"}},
         422, "not owner"),
        ("school-system", "accepted", {"resourceType": "ServiceRequest"}, 422, "resourceType"),
        ("school-system", "accepted", {"id": "another-task"}, 422, "not id"),
    ],
)  # fmt: skip
async def test_refused_updates(
    referrals: ReferralsHarness, user: str, status: str, elements: dict[str, Any], code: int,
    says: str,
) -> None:  # fmt: skip
    _, ids = await _referrals(referrals)
    path = f"{FHIR}/Task/{ids['school']}"
    task = fhir_json(await referrals.call("school-system", "GET", path), 200, "Task")
    response = await referrals.call(user, "PUT", path, json=with_status(task, status, **elements))
    diagnostics = refused(response, code)
    assert says in diagnostics
    after = fhir_json(await referrals.call("school-system", "GET", path), 200, "Task")
    assert after["status"] == "requested"  # nothing was half-done
    assert await referrals.outbox("homeward.referral.accepted.v1") == []


async def test_no_token_is_401_before_any_validation(referrals: ReferralsHarness) -> None:
    _, ids = await _referrals(referrals)
    path = f"{FHIR}/Task/{ids['school']}"
    for body in (b"{not json", b'{"resourceType": "Task"}'):
        response = await referrals.http.put(
            path, content=body, headers={"content-type": "application/fhir+json"}
        )
        refused(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
    token = await referrals.token("school-system")
    malformed = await referrals.http.put(
        path, content=b"{not json", headers={"Authorization": f"Bearer {token}"}
    )
    assert "JSON" in refused(malformed, 422)


async def test_a_revoked_consent_holds_the_task_and_stays_the_municipalitys(
    referrals: ReferralsHarness,
) -> None:
    family = await referrals.family()
    consent = family.consent(family.child, "school", ["education"])
    await referrals.feed(consent)
    referral = await referrals.create_referral(referral_body(family))
    path = f"{FHIR}/Task/{referral['id']}"
    task = fhir_json(await referrals.call("school-system", "GET", path), 200, "Task")
    fhir_json(await referrals.call("school-system", "PUT", path,
                                   json=with_status(task, "accepted")), 200, "Task")  # fmt: skip
    await referrals.feed(family.revoke(consent))
    seen_by_agency = fhir_json(await referrals.call("school-system", "GET", path), 200, "Task")
    assert seen_by_agency["status"] == "on-hold"
    assert seen_by_agency["statusReason"]["coding"][0]["code"] == "consent-revoked"
    assert "businessStatus" not in seen_by_agency  # the consent gap is not the agency's
    seen_by_coordinator = fhir_json(await referrals.call("coordinator.riverton", "GET", path),
                                    200, "Task")  # fmt: skip
    assert [c["code"] for c in seen_by_coordinator["businessStatus"]["coding"]] == ["consent"]
    # Blocked: work cannot resume, and the 409 says what may happen instead.
    resumed = await referrals.call("school-system", "PUT", path,
                                   json=with_status(seen_by_agency, "in-progress"))  # fmt: skip
    assert "allowed next states: cancelled, completed, failed" in refused(resumed, 409)


async def test_polling_by_last_update(referrals: ReferralsHarness) -> None:
    _, ids = await _referrals(referrals)
    path = f"{FHIR}/Task/{ids['school']}"
    task = fhir_json(await referrals.call("school-system", "GET", path), 200, "Task")

    async def changed_since(moment: str) -> list[str]:
        bundle = await referrals.call("school-system", "GET", f"{FHIR}/Task",
                                      params={"_lastUpdated": f"gt{moment}"})  # fmt: skip
        return [e["resource"]["id"] for e in fhir_json(bundle, 200, "Bundle")["entry"]]

    assert await changed_since("2000-01-01") == [ids["school"]]
    assert await changed_since(task["lastModified"]) == []
    accepted = await referrals.call("school-system", "PUT", path,
                                    json=with_status(task, "accepted"))  # fmt: skip
    assert fhir_json(accepted, 200, "Task")["meta"]["lastUpdated"] > task["lastModified"]
    assert await changed_since(task["lastModified"]) == [ids["school"]]
    for bad in ("lt2026-01-01", "gtyesterday"):
        refused(await referrals.call("school-system", "GET", f"{FHIR}/Task",
                                     params={"_lastUpdated": bad}), 422)  # fmt: skip
