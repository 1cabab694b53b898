"""A referral as FHIR R4 resources: one `Task` (HL7 SDOH Clinical Care, profile
SDOHCC-TaskForReferralManagement, as far as R4 base allows) and the `ServiceRequest` it
fulfils, both with the referral's id.

Pseudonymous only: the person is a logical reference by person code, the agency and the
municipality by their ids. Never the referral's free-text reason, notes, actors, nor
anything of the case. Task.status is the referral's state itself: the lifecycle already
follows the SDOHCC state machine, so the codes are the same.

Pure functions over a stored referral; the caller loads what they need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from homeward.referrals.adapters.tables import ReferralRow
from homeward.referrals.domain.lifecycle import ReferralState

FHIR_VERSION = "4.0.1"
FHIR_JSON = "application/fhir+json"
# Homeward's own vocabularies (the service categories, reason and outcome codes).
HOMEWARD_FHIR = "https://homeward.example/fhir"
SERVICE_CATEGORY_SYSTEM = f"{HOMEWARD_FHIR}/CodeSystem/service-category"
REASON_SYSTEM = f"{HOMEWARD_FHIR}/CodeSystem/referral-reason"
OUTCOME_SYSTEM = f"{HOMEWARD_FHIR}/CodeSystem/referral-outcome"
OUTPUT_TYPE_SYSTEM = f"{HOMEWARD_FHIR}/CodeSystem/referral-output-type"
BLOCKED_ON_SYSTEM = f"{HOMEWARD_FHIR}/CodeSystem/referral-blocked-on"
PERSON_CODE_SYSTEM = f"{HOMEWARD_FHIR}/NamingSystem/person-code"
MUNICIPALITY_SYSTEM = f"{HOMEWARD_FHIR}/NamingSystem/municipality"
OUTCOME_OUTPUT = "outcome"
SDOHCC_TASK_PROFILE = (
    "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-TaskForReferralManagement"
)
# SDOHCC fixes Task.code to this: the Task asks for its focus (the ServiceRequest) to be done.
FULFIL = {
    "system": "http://hl7.org/fhir/CodeSystem/task-code",
    "code": "fulfill",
    "display": "Fulfill the focal request",
}

S = ReferralState
# The referral as a request (ServiceRequest.status, R4 request-status): it stands while the
# Task is open, and is revoked when the agency will not (or could not) fulfil it.
SERVICE_REQUEST_STATUS = {
    S.DRAFT: "draft", S.REQUESTED: "active", S.ACCEPTED: "active", S.IN_PROGRESS: "active",
    S.ON_HOLD: "on-hold", S.COMPLETED: "completed", S.REJECTED: "revoked",
    S.FAILED: "revoked", S.CANCELLED: "revoked", S.ENTERED_IN_ERROR: "entered-in-error",
}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class TaskFacts:
    """What the Task shows beyond the row: when its status last changed and why (a reason
    code, for rejected, cancelled, on-hold and failed), the deadline now running, and the
    gates holding it that the caller may know of."""

    last_modified: datetime
    blocked_on: list[str]
    status_reason: str | None
    due_at: datetime | None


def task(referral: ReferralRow, facts: TaskFacts) -> dict[str, Any]:
    state = ReferralState(referral.state)
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": referral.id,
        "meta": {"lastUpdated": instant(facts.last_modified)},
        "status": state.value,
        "intent": "order",
        "priority": referral.priority,
        "code": {"coding": [FULFIL]},
        "focus": {"reference": f"ServiceRequest/{referral.id}", "type": "ServiceRequest"},
        "for": person(referral),
        "authoredOn": instant(referral.created_at),
        "lastModified": instant(facts.last_modified),
        "requester": municipality(referral),
        "owner": agency(referral),
    }
    if facts.status_reason:
        resource["statusReason"] = concept(REASON_SYSTEM, facts.status_reason)
    if gates := facts.blocked_on:
        resource["businessStatus"] = {
            "coding": [{"system": BLOCKED_ON_SYSTEM, "code": gate} for gate in gates],
            "text": "blocked on " + " and ".join(gates),
        }
    if referral.sent_at and facts.due_at:
        resource["restriction"] = {
            "period": {"start": instant(referral.sent_at), "end": instant(facts.due_at)}
        }
    if referral.outcome:
        resource["output"] = [
            {
                "type": {"coding": [{"system": OUTPUT_TYPE_SYSTEM, "code": OUTCOME_OUTPUT}]},
                "valueCodeableConcept": concept(OUTCOME_SYSTEM, referral.outcome),
            }
        ]
    return resource


def service_request(referral: ReferralRow) -> dict[str, Any]:
    category = concept(SERVICE_CATEGORY_SYSTEM, referral.service_category)
    return {
        "resourceType": "ServiceRequest",
        "id": referral.id,
        "status": SERVICE_REQUEST_STATUS[ReferralState(referral.state)],
        "intent": "order",
        "priority": referral.priority,
        "category": [category],
        "code": category,
        "subject": person(referral),
        "authoredOn": instant(referral.created_at),
        "requester": municipality(referral),
        "performer": [agency(referral)],
    }


def person(referral: ReferralRow) -> dict[str, Any]:
    """The person by pseudonymous code: a logical reference (no Patient resource is served,
    and none could be without identifying data)."""
    return {
        "type": "Patient",
        "identifier": {"system": PERSON_CODE_SYSTEM, "value": referral.person_code},
    }


def agency(referral: ReferralRow) -> dict[str, Any]:
    return {"reference": f"Organization/{referral.agency_id}", "type": "Organization"}


def municipality(referral: ReferralRow) -> dict[str, Any]:
    return {
        "type": "Organization",
        "identifier": {"system": MUNICIPALITY_SYSTEM, "value": referral.municipality},
    }


def concept(system: str, code: str) -> dict[str, Any]:
    """A coded concept; its text (SDOHCC wants statusReason.text) is the code in words,
    never what a person typed."""
    return {"coding": [{"system": system, "code": code}], "text": code.replace("-", " ")}


def instant(moment: datetime) -> str:
    # To the microsecond, as stored: polling with `_lastUpdated=gt<lastModified>` then leaves
    # out the Task it was read from.
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def searchset(
    tasks: list[dict[str, Any]], *, total: int, base_url: str, links: dict[str, str]
) -> dict[str, Any]:
    """A page of a Task search; `links` by relation (self, next, previous)."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": [{"relation": relation, "url": url} for relation, url in links.items()],
        "entry": [
            {"fullUrl": f"{base_url}/Task/{t['id']}", "resource": t, "search": {"mode": "match"}}
            for t in tasks
        ],
    }
