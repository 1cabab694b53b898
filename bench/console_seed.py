"""What the console benchmark's pages show, entered through the APIs before it measures them.

The coordinator's family: 6 persons, 20 dated assessments, 15 referrals. For the other roles,
the console tests' families (`tests.console.partners`, a mother and her daughter): one whose
daughter the school has accepted (her birth certificate issued, her name read by the school),
one whose daughter waits for her birth certificate (the registry's task) and whose mother's
referral waits for consent, with a closure request; and a transfer from Lakeside.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import date, timedelta

import httpx

from tests.console.partners import COORDINATOR, OFFICER, Api
from tests.e2e.journey import eventually
from tests.e2e.stack import RunningStack

SCHOOL, SCHOOL_AGENCY = "school.riverton", "riverton-primary-school"


@dataclass
class Seeded:
    case_id: str  # the coordinator's family
    code: str
    referral: str
    school_referral: str  # accepted by the school
    served_child: str  # her records have a history (the certificate issued)
    served_code: str


async def seed(stack: RunningStack) -> Seeded:
    case_id, code, referral = await coordinator_family(stack)
    school_referral, served_child, served_code = await other_roles_work(Api(stack))
    return Seeded(case_id, code, referral, school_referral, served_child, served_code)


async def coordinator_family(stack: RunningStack) -> tuple[str, str, str]:
    """A family of 6, 20 assessments, 15 referrals; returns the case id, code and a referral."""
    token = await stack.user_token(COORDINATOR)
    auth = {"Authorization": f"Bearer {token}"}
    intake, referrals = stack.service_url("intake"), stack.service_url("referrals")
    roles = [("mother", 1990), ("grandparent", 1960)] + [("child", 2010 + i) for i in range(4)]
    persons = [{"ref": f"p{i}", "household_role": role, "birth_year": year, "sex": "female",
                **({"guardian_ref": "p0"} if role == "child" else {})}
               for i, (role, year) in enumerate(roles)]  # fmt: skip
    async with httpx.AsyncClient(timeout=20, headers=auth) as http:
        case = (await http.post(f"{intake}/v1/cases", json={
            "return_operation": "Bench", "arrival_date": date.today().isoformat(),
            "placement": "receiving-family", "persons": persons})).json()  # fmt: skip
        people = case["persons"]
        levels = ["low", "medium", "high", "urgent"]
        for n in range(20):
            person = people[n % 6]
            day = (date.today() - timedelta(days=30 * (n // 6))).isoformat()
            body = {"assessed_on": day, "levels": {"basic-needs": levels[n % 4],
                                                   "education": levels[(n + 1) % 4]}}  # fmt: skip
            url = f"{intake}/v1/cases/{case['id']}/persons/{person['id']}/assessments"
            assert (await http.post(url, json=body)).status_code == 201
        agencies = (await http.get(f"{referrals}/v1/agencies",
                                   params={"municipality": "riverton"})).json()  # fmt: skip
        offers = [(a["id"], c) for a in agencies for c in a["service_categories"]]
        created: list[str] = []
        deadline = time.monotonic() + 60
        while len(created) < 15 and time.monotonic() < deadline:
            agency, category = offers[len(created) % len(offers)]
            body = {"case_id": case["id"], "person_id": people[len(created) % 6]["id"],
                    "agency_id": agency, "service_category": category,
                    "reason": "bench run"}  # fmt: skip
            answer = await http.post(f"{referrals}/v1/referrals", json=body)
            if answer.status_code == 201:
                created.append(answer.json()["id"])
            else:  # referrals has not heard of the case yet (events are asynchronous)
                await asyncio.sleep(0.5)
        assert len(created) == 15, "referrals did not learn of the bench family"
    return case["id"], case["code"], created[0]


async def other_roles_work(api: Api) -> tuple[str, str, str]:
    """The school's accepted referral, the registry's task, the supervisor's decisions;
    returns the accepted referral, the served child and her case code."""
    served = await api.family()
    await api.issue(served.child)
    accepted = await api.refer(
        served, served.child, SCHOOL_AGENCY, "school-enrolment", ["education", "identity"]
    )
    await eventually(lambda: _in_state(api, accepted["id"], "requested"), what="sent")
    path = f"/v1/referrals/{accepted['id']}"
    await api.call(SCHOOL, "referrals", "POST", f"{path}/accept", json={})
    await eventually(lambda: _revealed(api, served.child), what="the school may read the name")

    waiting = await api.family()
    await api.refer(waiting, waiting.child, SCHOOL_AGENCY, "school-enrolment", ["education"])
    await api.call(COORDINATOR, "intake", "POST", f"/v1/cases/{waiting.case_id}/closure-requests",
                   json={"reason": "reintegration-completed"})  # fmt: skip
    await api.refer(waiting, waiting.mother, "riverton-health-centre", "health-care", ["health"])
    incoming = await api.lakeside_case()
    await api.call("coordinator.lakeside", "intake", "POST",
                   f"/v1/cases/{incoming['id']}/transfers",
                   json={"to_municipality": "riverton"})  # fmt: skip
    await eventually(lambda: _task_of(api, waiting.code), what="the registry's task")
    return accepted["id"], served.child, served.code


async def _in_state(api: Api, referral_id: str, state: str) -> bool:
    return await api.state(referral_id) == state


async def _revealed(api: Api, person_id: str) -> bool:
    """The school's read of the name (404 until intake has seen the acceptance)."""
    try:
        path = f"/v1/agency/persons/{person_id}/identity?purpose=referral"
        await api.call(SCHOOL, "intake", "GET", path)
    except AssertionError:
        return False
    return True


async def _task_of(api: Api, code: str) -> bool:
    tasks = await api.call(OFFICER, "documents", "GET", "/v1/tasks?status=open")
    return any(task["case_code"] == code for task in tasks["items"])
