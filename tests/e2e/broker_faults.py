"""The load and the count of the broker-fault tests (issue 15): families registered and
referred while the broker fails, then, for everything an API acknowledged, whether every
service that should know it does, exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.journey import Callers, eventually, today

COORDINATOR, OFFICER = "coordinator.riverton", "documents.riverton"
POLICE, POLICE_SYSTEM = "police.riverton", "police-system"
SENT, ACCEPTED = "homeward.referral.sent.v1", "homeward.referral.accepted.v1"


@dataclass
class Family:
    case_id: str
    mother: str
    child: str
    police_referral: str = ""
    school_referral: str = ""


@dataclass
class Load:
    """Families registered one after another by a few concurrent workers."""

    callers: Callers
    families: list[Family] = field(default_factory=list)

    async def run(self, count: int, *, workers: int = 3) -> None:
        numbers = iter(range(count))

        async def worker() -> None:
            for _ in numbers:
                self.families.append(await self.one_family())

        await asyncio.gather(*(worker() for _ in range(workers)))

    async def one_family(self) -> Family:
        created = await self.post(COORDINATOR, "intake", "/v1/cases", {
            "return_operation": "Broker fault test",
            "arrival_date": today(),
            "placement": "rehabilitation-centre",
            "persons": [
                {"ref": "mother", "household_role": "mother", "birth_year": 1990, "sex": "female"},
                {"ref": "child", "household_role": "child", "birth_year": 2018, "sex": "male",
                 "guardian_ref": "mother"},
            ],
        })  # fmt: skip
        assert created.status_code == 201, created.text
        case = created.json()
        family = Family(case["id"], *(person["id"] for person in case["persons"]))
        police = await self.refer(family, family.mother, "riverton-police", "family-support")
        family.police_referral = police["id"]
        school = await self.refer(
            family, family.child, "riverton-primary-school", "school-enrolment", send=False
        )
        family.school_referral = school["id"]
        path = f"/v1/referrals/{family.police_referral}"
        await eventually(
            lambda: self._state(path, "requested"), what="the police referral sent", timeout_s=90
        )
        accepted = await self.post(POLICE_SYSTEM, "referrals", path + "/accept", {})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["state"] == "accepted"
        return family

    async def post(self, who: str, service: str, path: str, body: Any) -> httpx.Response:
        """A POST as a careful client sends it: with an Idempotency-Key, sent again with the
        same key when the connection broke (a pooled connection the server had just closed),
        so that a retry never makes a second case or referral."""
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        for attempt in range(3):
            try:
                return await self.callers.call(
                    who, service, "POST", path, json=body, headers=headers
                )
            except httpx.TransportError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def refer(
        self, family: Family, person_id: str, agency: str, category: str, *, send: bool = True
    ) -> dict[str, Any]:
        body = {"case_id": family.case_id, "person_id": person_id, "agency_id": agency,
                "service_category": category, "reason": "fault test", "disclose": [],
                "send": send}  # fmt: skip

        async def created() -> dict[str, Any] | None:
            response = await self.post(COORDINATOR, "referrals", "/v1/referrals", body)
            # 404/422 until referrals has heard of the case from intake, over the broker.
            assert response.status_code in (201, 404, 422), response.text
            return response.json() if response.status_code == 201 else None

        return await eventually(created, what="referrals knows the case", timeout_s=90)

    async def _state(self, path: str, state: str) -> bool:
        referral = await self.callers.ok(COORDINATOR, "referrals", "GET", path)
        return referral["state"] == state


async def every_page(j: Callers, who: str, service: str, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        page = await j.ok(who, service, "GET", f"{path}?limit=100&offset={offset}")
        items += page["items"]
        offset = page["next_offset"]
    return items


async def told(j: Callers, who: str, event_type: str) -> Counter[str]:
    """How many notifications of `event_type` `who` has, per referral."""
    items = await every_page(j, who, "notifications", "/v1/notifications")
    return Counter(
        n["details"].get("referral_id", "") for n in items if n["event_type"] == event_type
    )


async def everyone_knows_everything_once(j: Callers, families: list[Family]) -> None:
    """Referrals knew every case (each referral was created), documents knows every case and
    raised one task per school referral, the police were told of each referral sent to them
    and the coordinator of each acceptance: each exactly once."""
    police = {f.police_referral for f in families}
    school = {f.school_referral for f in families}

    async def all_arrived() -> bool:
        tasks = await every_page(j, OFFICER, "documents", "/v1/tasks")
        sent, accepted = await told(j, POLICE, SENT), await told(j, COORDINATOR, ACCEPTED)
        return (
            school <= {t["referral_id"] for t in tasks}
            and police <= set(sent)
            and police <= set(accepted)
        )

    await eventually(all_arrived, what="every effect of every family", timeout_s=120)
    tasks = Counter(
        t["referral_id"] for t in await every_page(j, OFFICER, "documents", "/v1/tasks")
    )
    sent, accepted = await told(j, POLICE, SENT), await told(j, COORDINATOR, ACCEPTED)
    assert {referral: tasks[referral] for referral in school} == dict.fromkeys(school, 1)
    assert {referral: sent[referral] for referral in police} == dict.fromkeys(police, 1)
    assert {referral: accepted[referral] for referral in police} == dict.fromkeys(police, 1)
    for family in families:
        path = f"/v1/persons/{family.mother}/readiness"
        assert (await j.call(OFFICER, "documents", "GET", path)).status_code == 200


def broker_pid(kafka_port: int) -> int:
    """The stack's Tansu process, found by the listener it was given."""
    listener = f"tcp://127.0.0.1:{kafka_port}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                arguments = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"broker" in arguments and listener in arguments:
                return int(entry.name)
    raise AssertionError(f"no broker listens on {kafka_port}")


def kill_the_broker(kafka_port: int) -> int:
    pid = broker_pid(kafka_port)
    os.kill(pid, signal.SIGKILL)
    return pid
