"""Demo data for the embedded stack: a returning family, entered the way a coordinator
would, through the public APIs with a real token. Nothing is written behind a service's back.

The identities are invented and say so. Seeding runs once: a stack whose intake already has
cases is left as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

DEMO_COORDINATOR = "coordinator.riverton"


def _demo_family(today: str) -> dict[str, Any]:
    def person(ref: str, role: str, year: int, sex: str, name: str, **extra: Any) -> dict:
        identity = {"full_name": f"{name} (demo)", "place_of_birth": "Demo"}
        return {"ref": ref, "household_role": role, "birth_year": year, "sex": sex,
                "identity": identity, **extra}  # fmt: skip

    return {
        "return_operation": "Demo repatriation",
        "arrival_date": today,
        "placement": "rehabilitation-centre",
        "persons": [
            person("mother", "mother", 1995, "female", "Demo Mother"),
            person("elder", "child", 2016, "female", "Demo Elder Child", guardian_ref="mother"),
            person("younger", "child", 2020, "male", "Demo Younger Child", guardian_ref="mother"),
        ],
    }


async def seed_demo_data(*, intake_url: str, token_url: str) -> str | None:
    """Register the demo family; returns its case code, or None when cases already exist."""
    async with httpx.AsyncClient(timeout=10) as http:
        token = await http.post(
            token_url,
            data={"grant_type": "password", "client_id": "homeward-demo",
                  "username": DEMO_COORDINATOR, "password": "demo"},
        )  # fmt: skip
        token.raise_for_status()
        http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        existing = await http.get(f"{intake_url}/v1/cases", params={"limit": 1})
        existing.raise_for_status()
        if existing.json()["total"]:
            return None
        today = datetime.now(UTC).date()
        case = await http.post(f"{intake_url}/v1/cases", json=_demo_family(today.isoformat()))
        case.raise_for_status()
        body = case.json()
        mother, elder = body["persons"][0], body["persons"][1]
        person_url = f"{intake_url}/v1/cases/{body['id']}/persons"
        steps = [
            (f"{person_url}/{mother['id']}/assessments", {
                "assessed_on": today.isoformat(),
                "levels": {"basic-needs": "urgent", "mental-health-and-trauma": "high",
                           "legal-documentation": "high"},
            }),
            (f"{person_url}/{mother['id']}/consents", {
                "recipient_agency_type": "health", "categories": ["health", "identity"],
                "legal_basis": "consent", "given_by_person_id": mother["id"],
                "valid_until": (today + timedelta(days=365)).isoformat(),
            }),
            (f"{person_url}/{elder['id']}/consents", {
                "recipient_agency_type": "school", "categories": ["education"],
                "legal_basis": "consent", "given_by_person_id": mother["id"],
                "valid_until": (today + timedelta(days=365)).isoformat(),
            }),
        ]  # fmt: skip
        for url, payload in steps:
            response = await http.post(url, json=payload)
            if response.is_error:
                raise RuntimeError(f"seeding demo data: {url} answered {response.text}")
        return body["code"]
