"""The FHIR API's CapabilityStatement (`GET /fhir/R4/metadata`): what a partner system may
read, search and update, and how it authenticates."""

from __future__ import annotations

from typing import Any

from homeward.referrals.fhir.mapping import FHIR_JSON, FHIR_VERSION, SDOHCC_TASK_PROFILE

RELEASED = "2026-12-01"


def capability_statement(base_url: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": RELEASED,
        "publisher": "Homeward",
        "kind": "instance",
        "software": {"name": "Homeward referrals"},
        "implementation": {"description": "Homeward referrals as FHIR Tasks", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": [FHIR_JSON, "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Each referral is a Task following the SDOHCC closed-loop referral Task "
                    f"({SDOHCC_TASK_PROFILE}) as far as R4 base allows, and a ServiceRequest "
                    "with the same id. Identifiers are pseudonymous: the person by code only."
                ),
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "restful-security-service",
                                    "code": "OAuth",
                                }
                            ]
                        }
                    ],
                    "description": (
                        "An OIDC access token of the Homeward realm as a bearer token; a "
                        "partner system uses the client-credentials grant."
                    ),
                },
                "resource": [_task(), _service_request()],
            }
        ],
    }


def _task() -> dict[str, Any]:
    return {
        "type": "Task",
        "interaction": [
            {"code": "read"},
            {"code": "search-type", "documentation": "Paged with _count (bounded) and _offset."},
            {
                "code": "update",
                "documentation": (
                    "The owner (the receiving agency) changes status, statusReason and output; "
                    "the requester (the coordinator) sends and cancels. A reason coding is "
                    "required for rejected, cancelled, on-hold and failed; an outcome output "
                    "for completed. An illegal change answers 409 with the allowed statuses."
                ),
            },
        ],
        "updateCreate": False,
        "searchParam": [
            {"name": "status", "type": "token"},
            {"name": "owner", "type": "reference", "documentation": "Organization/<agency id>"},
            {
                "name": "_lastUpdated",
                "type": "date",
                "documentation": "gt<instant> only: Tasks whose status changed since",
            },
        ],
    }


def _service_request() -> dict[str, Any]:
    return {"type": "ServiceRequest", "interaction": [{"code": "read"}]}
