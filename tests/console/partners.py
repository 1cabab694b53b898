"""Families and referrals made through the APIs, for the partner, registry, supervisor and
auditor pages: each test gets a family of its own, so none depends on another's steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.e2e.journey import eventually
from tests.e2e.stack import RunningStack

COORDINATOR, OFFICER = "coordinator.riverton", "documents.riverton"
CHILD_NAME = "Aruzhan Testova"


@dataclass
class Family:
    case_id: str
    code: str
    mother: str
    child: str


class Api:
    """Calls as a demo user, asserting success."""

    def __init__(self, stack: RunningStack) -> None:
        self.stack = stack

    async def call(self, user: str, service: str, method: str, path: str, **kw: Any) -> Any:
        token = await self.stack.user_token(user)
        async with httpx.AsyncClient(timeout=15) as http:
            response = await http.request(
                method, self.stack.service_url(service) + path,
                headers={"Authorization": f"Bearer {token}"}, **kw,
            )  # fmt: skip
        assert response.is_success, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    async def family(self) -> Family:
        """A mother and her daughter; the mother consents for the daughter: education and
        identity for schools, family for the police; for herself, family for the police."""
        today = datetime.now(UTC).date()
        persons = [
            {"ref": "mother", "household_role": "mother", "birth_year": 1990, "sex": "female",
             "identity": {"full_name": "Gulnara Testova", "date_of_birth": "1990-03-04"}},
            {"ref": "child", "household_role": "child", "birth_year": 2015, "sex": "female",
             "guardian_ref": "mother",
             "identity": {"full_name": CHILD_NAME, "date_of_birth": "2015-05-06"}},
        ]  # fmt: skip
        body = {"return_operation": "Console partners", "arrival_date": today.isoformat(),
                "placement": "rehabilitation-centre", "persons": persons}  # fmt: skip
        case = await self.call(COORDINATOR, "intake", "POST", "/v1/cases", json=body)
        family = Family(case["id"], case["code"], *(p["id"] for p in case["persons"]))
        levels = {"physical-health": "high", "mental-health-and-trauma": "high",
                  "family-support": "medium"}  # fmt: skip
        path = f"/v1/cases/{family.case_id}/persons/{family.mother}/assessments"
        body = {"assessed_on": today.isoformat(), "levels": levels}
        await self.call(COORDINATOR, "intake", "POST", path, json=body)
        a_year = (today + timedelta(days=365)).isoformat()
        for person, agency_type, categories in (
            (family.child, "school", ["education", "identity"]),
            (family.child, "police", ["family"]),
            (family.mother, "police", ["family"]),
        ):
            consent = {"recipient_agency_type": agency_type, "categories": categories,
                       "legal_basis": "consent", "given_by_person_id": family.mother,
                       "valid_until": a_year}  # fmt: skip
            path = f"/v1/cases/{family.case_id}/persons/{person}/consents"
            await self.call(COORDINATOR, "intake", "POST", path, json=consent)
        await eventually(lambda: self.readiness_known(family.child), what="documents knows")
        return family

    async def lakeside_case(self) -> dict[str, Any]:
        """A Lakeside case with one adult, for a transfer to Riverton."""
        person = {"ref": "adult", "household_role": "mother", "birth_year": 1988,
                  "sex": "female", "identity": {"full_name": "Dana Testova"}}  # fmt: skip
        body = {"return_operation": "Console transfer",
                "arrival_date": datetime.now(UTC).date().isoformat(),
                "placement": "independent", "persons": [person]}  # fmt: skip
        return await self.call("coordinator.lakeside", "intake", "POST", "/v1/cases", json=body)

    async def readiness_known(self, person_id: str) -> bool:
        token = await self.stack.user_token(COORDINATOR)
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(
                f"{self.stack.service_url('documents')}/v1/persons/{person_id}/readiness",
                headers={"Authorization": f"Bearer {token}"},
            )
        return response.status_code == 200

    async def issue(self, person_id: str, document_type: str = "birth-certificate") -> None:
        records = await self.call(OFFICER, "documents", "GET", f"/v1/persons/{person_id}/records")
        record = next(r for r in records["records"] if r["document_type"] == document_type)
        body = {"to_status": "issued", "issued_on": datetime.now(UTC).date().isoformat()}
        await self.call(OFFICER, "documents", "POST", f"/v1/records/{record['id']}/status",
                        json=body)  # fmt: skip

    async def refer(
        self, family: Family, person: str, agency: str, category: str, disclose: list[str]
    ) -> dict[str, Any]:
        body = {"case_id": family.case_id, "person_id": person, "agency_id": agency,
                "service_category": category, "reason": "Needs this service soon",
                "disclose": disclose, "send": True}  # fmt: skip
        return await self.call(COORDINATOR, "referrals", "POST", "/v1/referrals", json=body)

    async def state(self, referral_id: str) -> str:
        found = await self.call(COORDINATOR, "referrals", "GET", f"/v1/referrals/{referral_id}")
        return found["state"]
