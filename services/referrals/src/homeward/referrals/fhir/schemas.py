"""The FHIR resources as the OpenAPI document names them. FHIR's own definitions describe
their elements (see the CapabilityStatement); these say which resource an operation answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class FhirResource(BaseModel):
    model_config = ConfigDict(extra="allow")


class FhirTask(FhirResource):
    """A referral as a FHIR R4 Task (SDOHCC closed-loop referral Task states)."""

    resourceType: Literal["Task"]
    id: str
    status: str


class FhirServiceRequest(FhirResource):
    """The referral as the FHIR R4 ServiceRequest its Task fulfils."""

    resourceType: Literal["ServiceRequest"]
    id: str
    status: str


class FhirBundle(FhirResource):
    """A searchset Bundle of Tasks."""

    resourceType: Literal["Bundle"]
    type: Literal["searchset"]
    total: int


class FhirCapabilityStatement(FhirResource):
    resourceType: Literal["CapabilityStatement"]


class FhirOperationOutcome(FhirResource):
    """Why a FHIR request was refused."""

    resourceType: Literal["OperationOutcome"]
    issue: list[dict[str, object]]
