"""The console's pages on the embedded stack, next to a bare response of the same server.

A family of 6 persons with 20 dated assessments and 15 referrals is entered through the APIs;
a coordinator signs in through the identity provider's page (the code flow, scripted); then
each page is fetched `BENCH_PAGE_REQUESTS` times (default 40) over loopback, sequentially:
server time p50/p95 per page, bytes transferred (gzip, as a browser asks), and the API calls
the console made for one view of it (counted from its log, by request id). The baseline is the
console's own `/healthz` (no session, no API call, no template) in the same run.

Budgets (issue 12): ≤ 60 KB per page after the first load (HTML only: CSS and JS are cached
for a year under a content hash), ≤ 250 KB for the first (HTML + CSS + JS), p95 ≤ 150 ms.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import re
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.stack import RunningStack, running_stack

REQUESTS = int(os.environ.get("BENCH_PAGE_REQUESTS", "40"))
COORDINATOR = "coordinator.riverton"


async def seed(stack: RunningStack) -> tuple[str, str, str]:
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


async def sign_in(stack: RunningStack, http: httpx.AsyncClient) -> None:
    """The authorization code flow as a browser runs it: the login page's form, posted."""
    page = await http.get(stack.console_url + "/login", follow_redirects=True)
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action, page.text[:500]
    target = page.url.join(action.group(1).replace("&amp;", "&"))
    form = {"username": COORDINATOR, "password": "demo"}
    done = await http.post(target, data=form, follow_redirects=True)
    assert str(done.url).startswith(stack.console_url), done.url


def api_calls_by_request(stack: RunningStack) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for line in (stack.data_dir / "logs" / "console.log").read_text().splitlines():
        record = json.loads(line) if line.startswith("{") else {}
        if record.get("logger") == "httpx" and record.get("request_id"):
            counts[record["request_id"]] += 1
    return counts


async def measure(stack: RunningStack, http: httpx.AsyncClient, path: str) -> dict[str, Any]:
    url = stack.console_url + path
    first = await http.get(url, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200, (path, first.status_code)
    raw = first.headers.get("content-encoding") == "gzip"
    size = len(gzip.compress(first.content)) if not raw else int(first.num_bytes_downloaded)
    request_id = first.headers.get("x-request-id", "")
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        answer = await http.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200
    times.sort()
    return {"path": path, "bytes": size, "request_id": request_id,
            "p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1]}  # fmt: skip


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with running_stack(Path(folder)) as stack:
            case_id, code, referral = await seed(stack)
            async with httpx.AsyncClient(timeout=30) as http:
                await sign_in(stack, http)
                home = await http.get(stack.console_url + "/")
                assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', home.text)
                asset_bytes = 0
                for asset in assets:
                    body = (await http.get(stack.console_url + asset)).content
                    asset_bytes += len(gzip.compress(body))
                family_page = await http.get(f"{stack.console_url}/cases/{case_id}")
                person = re.search(
                    rf"/cases/{case_id}/persons/([0-9a-f-]+)/assessment", family_page.text
                )
                assert person
                pages = [
                    "/", f"/find?code={code.lower().replace('-', '')}", "/cases",
                    f"/cases/{case_id}", f"/cases/{case_id}/persons/{person.group(1)}/assessment",
                    f"/cases/{case_id}/refer?person={person.group(1)}&category=school-enrolment",
                    f"/referrals/{referral}", "/referrals", "/notifications",
                ]  # fmt: skip
                http.follow_redirects = True
                results = [await measure(stack, http, path) for path in pages]
                http.follow_redirects = False
                baseline = await measure(stack, http, "/healthz")
            await asyncio.sleep(0.5)  # the log line of the last request
            calls = api_calls_by_request(stack)
    print(f"{REQUESTS} requests per page, family of 6 persons, 20 assessments, 15 referrals")
    print(f"  first load adds CSS + JS: {asset_bytes / 1024:.1f} KB gzip")
    print(f"  {'page':<44} {'KB gzip':>8} {'p50 ms':>8} {'p95 ms':>8} {'API calls':>10}")
    for row in [*results, baseline]:
        label = "/healthz (baseline)" if row is baseline else re.sub(r"[0-9a-f-]{36}", "{id}",
                                                                      row["path"])  # fmt: skip
        print(f"  {label[:44]:<44} {row['bytes'] / 1024:>8.1f} {row['p50']:>8.1f} "
              f"{row['p95']:>8.1f} {calls.get(row['request_id'], 0):>10}")  # fmt: skip
    heaviest = max(r["bytes"] for r in results)
    print(
        f"  heaviest page {heaviest / 1024:.1f} KB; first load "
        f"{(heaviest + asset_bytes) / 1024:.1f} KB; at {datetime.now(UTC):%Y-%m-%d}"
    )
