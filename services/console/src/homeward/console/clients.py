"""One small client per API, called with the signed-in user's own access token.

Every answer that is not a success becomes an `ApiRefusal` carrying what a page needs to
explain it (the status, field errors by name, the allowed next states); the pages turn it
into a translated message. Nothing here retries a write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

Json = dict[str, Any]


@dataclass
class ApiRefusal(Exception):
    status: int
    # Field name (the last part of the API's `loc`) -> the validation error type.
    field_errors: dict[str, str] = field(default_factory=dict)
    allowed_next_states: list[str] = field(default_factory=list)
    retry_after: str | None = None


class ServiceUnavailable(Exception):
    """The API did not answer (timeout, refused connection, 5xx)."""


class Api:
    def __init__(self, http: httpx.AsyncClient, base_url: str, token: str) -> None:
        self._http, self._base, self._token = http, base_url.rstrip("/"), token

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._send(method, path, **kwargs)
        return response.json() if response.content else None

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        try:
            response = await self._http.request(
                method, self._base + path, headers=headers, **kwargs
            )
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(type(exc).__name__) from None
        if response.status_code >= 500:
            raise ServiceUnavailable(str(response.status_code))
        if response.is_error:
            raise _refusal(response)
        return response

    async def get(self, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v is not None}
        return await self._call("GET", path, params=clean)

    async def post(self, path: str, body: Json | None = None) -> Any:
        return await self._call("POST", path, json=body if body is not None else {})

    async def put(self, path: str, body: Json) -> Any:
        return await self._call("PUT", path, json=body)

    async def delete(self, path: str) -> Any:
        return await self._call("DELETE", path)

    async def audit(self, **filters: Any) -> Json:
        """This service's audit trail (auditors only), newest first."""
        return await self.get("/v1/audit", **filters)

    async def audit_csv(self, **filters: Any) -> str:
        clean = {k: v for k, v in filters.items() if v is not None}
        return (await self._send("GET", "/v1/audit.csv", params=clean)).text


def _refusal(response: httpx.Response) -> ApiRefusal:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    errors: dict[str, str] = {}
    for error in body.get("errors") or []:
        loc = [str(part) for part in error.get("loc", []) if part not in ("body", "query")]
        name = ".".join(loc) or "form"
        errors.setdefault(name, str(error.get("type") or "invalid"))
    return ApiRefusal(
        status=response.status_code,
        field_errors=errors,
        allowed_next_states=list(body.get("allowed_next_states") or []),
        retry_after=response.headers.get("Retry-After"),
    )


class Intake(Api):
    async def me(self) -> Json:
        return await self.get("/v1/me")

    async def cases(
        self, *, status: str | None, limit: int, offset: int, coordinator: str | None = None
    ) -> Json:
        """A page of the municipality's cases; `coordinator="me"`: the caller's own."""
        return await self.get(
            "/v1/cases", status=status, limit=limit, offset=offset, coordinator=coordinator
        )

    async def coordinators(self) -> Json:
        return await self.get("/v1/coordinators")

    async def assign_coordinator(self, case_id: str, username: str) -> Json:
        return await self.put(f"/v1/cases/{case_id}/coordinator", {"coordinator": username})

    async def case(self, case_id: str) -> Json:
        return await self.get(f"/v1/cases/{case_id}")

    async def case_by_code(self, code: str) -> Json:
        return await self.get(f"/v1/cases/by-code/{code}")

    async def register_case(self, body: Json) -> Json:
        return await self.post("/v1/cases", body)

    async def close_case(self, case_id: str, reason: str) -> Json:
        return await self.post(f"/v1/cases/{case_id}/close", {"reason": reason})

    async def assessments(self, case_id: str, person_id: str) -> list[Json]:
        return await self.get(f"/v1/cases/{case_id}/persons/{person_id}/assessments")

    async def case_assessments(self, case_id: str) -> list[Json]:
        return await self.get(f"/v1/cases/{case_id}/assessments")

    async def case_consents(self, case_id: str) -> list[Json]:
        return await self.get(f"/v1/cases/{case_id}/consents")

    async def record_assessment(self, case_id: str, person_id: str, body: Json) -> Json:
        return await self.post(f"/v1/cases/{case_id}/persons/{person_id}/assessments", body)

    async def consents(self, case_id: str, person_id: str) -> list[Json]:
        return await self.get(f"/v1/cases/{case_id}/persons/{person_id}/consents")

    async def grant_consent(self, case_id: str, person_id: str, body: Json) -> Json:
        return await self.post(f"/v1/cases/{case_id}/persons/{person_id}/consents", body)

    async def revoke_consent(self, case_id: str, person_id: str, consent_id: str) -> Json:
        path = f"/v1/cases/{case_id}/persons/{person_id}/consents/{consent_id}/revoke"
        return await self.post(path)

    async def expiring_consents(self, *, within_days: int) -> list[Json]:
        return await self.get("/v1/consents/expiring", within_days=within_days)

    async def identity(self, case_id: str, person_id: str, purpose: str) -> Json:
        path = f"/v1/cases/{case_id}/persons/{person_id}/identity"
        return await self.get(path, purpose=purpose)

    async def agency_identity(self, person_id: str, purpose: str) -> Json:
        """A partner's need-to-know read (404 unless its agency serves the person with consent)."""
        return await self.get(f"/v1/agency/persons/{person_id}/identity", purpose=purpose)

    async def registry_identity(self, person_id: str, purpose: str) -> Json:
        """A documents officer's read, to issue papers in the name (documentation only)."""
        return await self.get(f"/v1/registry/persons/{person_id}/identity", purpose=purpose)

    async def receiving_family(self, case_id: str) -> Json:
        return await self.get(f"/v1/cases/{case_id}/receiving-family")

    async def transfers(self, *, status: str | None = None) -> list[Json]:
        return await self.get("/v1/transfers", status=status)

    async def request_transfer(self, case_id: str, to_municipality: str) -> Json:
        body = {"to_municipality": to_municipality}
        return await self.post(f"/v1/cases/{case_id}/transfers", body)

    async def decide_transfer(
        self, transfer_id: str, decision: str, body: Json | None = None
    ) -> Json:
        return await self.post(f"/v1/transfers/{transfer_id}/{decision}", body)

    async def closure_requests(self, *, status: str | None = None) -> list[Json]:
        return await self.get("/v1/closure-requests", status=status)

    async def decide_closure(self, closure_id: str, decision: str, body: Json | None) -> Json:
        return await self.post(f"/v1/closure-requests/{closure_id}/{decision}", body)

    async def erase(self, case_id: str) -> Json:
        return await self.post(f"/v1/cases/{case_id}/erasure")


class Referrals(Api):
    async def referrals(
        self,
        *,
        case_id: str | None = None,
        code: str | None = None,
        state: Sequence[str] | None = None,
        blocked: bool | None = None,
        escalated: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Json:
        return await self.get("/v1/referrals", case_id=case_id, code=code, state=state,
                              blocked=blocked, escalated=escalated, limit=limit,
                              offset=offset)  # fmt: skip

    async def referral(self, referral_id: str) -> Json:
        return await self.get(f"/v1/referrals/{referral_id}")

    async def create(self, body: Json) -> Json:
        return await self.post("/v1/referrals", body)

    async def act(self, referral_id: str, action: str, body: Json | None = None) -> Json:
        return await self.post(f"/v1/referrals/{referral_id}/{action}", body)

    async def agencies(
        self,
        *,
        service_category: str | None,
        municipality: str | None,
        language: str | None = None,
        accreditation: str | None = None,
    ) -> Any:
        return await self.get("/v1/agencies", service_category=service_category,
                              municipality=municipality, language=language,
                              accreditation=accreditation)  # fmt: skip

    async def agency(self, agency_id: str) -> Json:
        return await self.get(f"/v1/agencies/{agency_id}")

    async def update_profile(self, agency_id: str, body: Json) -> Json:
        return await self.put(f"/v1/agencies/{agency_id}/profile", body)

    async def override_consent(self, referral_id: str, body: Json) -> Json:
        return await self.post(f"/v1/referrals/{referral_id}/consent-override", body)

    async def indicators(self) -> Json:
        return await self.get("/v1/indicators")

    async def suggest(self, referral_id: str, body: Json) -> Json:
        return await self.post(f"/v1/referrals/{referral_id}/suggestions", body)

    async def suggestions(self, *, status: str | None = None) -> list[Json]:
        return await self.get("/v1/suggestions", status=status)

    async def decide_suggestion(self, suggestion_id: str, decision: str, body: Json) -> Json:
        return await self.post(f"/v1/suggestions/{suggestion_id}/{decision}", body)


class Documents(Api):
    async def case_readiness(self, case_id: str) -> list[Json]:
        return await self.get(f"/v1/cases/{case_id}/readiness")

    async def case_records(self, case_id: str) -> Json:
        return await self.get(f"/v1/cases/{case_id}/records")

    async def records(self, person_id: str) -> Json:
        return await self.get(f"/v1/persons/{person_id}/records")

    async def tasks(self, *, status: str = "open", limit: int = 100, offset: int = 0) -> Json:
        return await self.get("/v1/tasks", status=status, limit=limit, offset=offset)

    async def expiring_records(self, *, within_days: int, limit: int = 100) -> Json:
        """The municipality's issued documents expiring within the days, soonest first."""
        return await self.get("/v1/records", expiring_within_days=within_days, limit=limit)

    async def change_status(self, record_id: str, body: Json) -> Json:
        return await self.post(f"/v1/records/{record_id}/status", body)


class Notifications(Api):
    async def inbox(
        self,
        *,
        unread_only: bool = False,
        limit: int = 20,
        offset: int = 0,
        case_id: str | None = None,
    ) -> Json:
        """The caller's notifications; `case_id`: only those about that case."""
        return await self.get(
            "/v1/notifications",
            unread_only=unread_only,
            limit=limit,
            offset=offset,
            case_id=case_id,
        )

    async def unread(self) -> int:
        return int((await self.get("/v1/notifications/unread-count"))["unread"])

    async def mark_read(self, notification_id: int) -> Json:
        return await self.post(f"/v1/notifications/{notification_id}/read")

    async def mark_all_read(self) -> Json:
        return await self.post("/v1/notifications/read-all")

    async def email_opt_in(self) -> Json | None:
        """The caller's email opt-in, or None when they have not opted in."""
        try:
            return await self.get("/v1/me/email")
        except ApiRefusal as refusal:
            if refusal.status == 404:
                return None
            raise

    async def opt_in_email(self, address: str, *, locale: str) -> Json:
        return await self.put("/v1/me/email", {"address": address, "locale": locale})

    async def opt_out_email(self) -> None:
        await self.delete("/v1/me/email")


@dataclass(frozen=True)
class Apis:
    """The four clients for one request, all with the same user's token."""

    intake: Intake
    referrals: Referrals
    documents: Documents
    notifications: Notifications
