"""The console's pages on the embedded stack, role by role, next to a bare response of the
same server.

What the pages show is entered through the APIs first (`bench.console_seed`); each role signs in
through the identity provider's page (the code flow, scripted); then each of its pages is
fetched `BENCH_PAGE_REQUESTS` times (default 40) over loopback, sequentially: server time
p50/p95 per page, bytes transferred (gzip, as a browser asks), and the API calls the console
made for one view of it (counted from its log, by request id). The baseline is the console's
own `/healthz` (no session, no API call, no template) in the same run.

Budgets (issues 12 and 13, every role): ≤ 60 KB per page after the first load (HTML only: CSS
and JS are cached for a year under a content hash), ≤ 250 KB for the first (HTML + CSS + JS),
p95 ≤ 150 ms.
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.console_seed import SCHOOL, SCHOOL_AGENCY, Seeded, seed
from tests.console.partners import COORDINATOR, OFFICER
from tests.e2e.stack import RunningStack, running_stack

REQUESTS = int(os.environ.get("BENCH_PAGE_REQUESTS", "40"))
SUPERVISOR, AUDITOR = "supervisor.riverton", "auditor"


async def sign_in(stack: RunningStack, http: httpx.AsyncClient, username: str) -> None:
    """The authorization code flow as a browser runs it: the login page's form, posted."""
    page = await http.get(stack.console_url + "/login", follow_redirects=True)
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action, page.text[:500]
    target = page.url.join(action.group(1).replace("&amp;", "&"))
    form = {"username": username, "password": "demo"}
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


async def coordinator_pages(stack: RunningStack, http: httpx.AsyncClient, s: Seeded) -> list[str]:
    family_page = await http.get(f"{stack.console_url}/cases/{s.case_id}")
    person = re.search(rf"/cases/{s.case_id}/persons/([0-9a-f-]+)/assessment", family_page.text)
    assert person
    in_case = f"/cases/{s.case_id}"
    return [
        "/", f"/find?code={s.code.lower().replace('-', '')}", "/cases", in_case,
        f"{in_case}/persons/{person.group(1)}/assessment",
        f"{in_case}/refer?person={person.group(1)}&category=school-enrolment",
        f"/referrals/{s.referral}", "/referrals", "/notifications",
    ]  # fmt: skip


def other_pages(s: Seeded) -> dict[str, list[str]]:
    """The part-2 workspaces' pages, by user (each lands on the first)."""
    return {
        SCHOOL: ["/incoming", f"/incoming/{s.school_referral}", "/my-agency", "/email"],
        OFFICER: ["/registry", f"/registry/persons/{s.served_child}"],
        SUPERVISOR: ["/supervisor", "/supervisor/indicators"],
        AUDITOR: ["/audit", f"/audit?agency_id={SCHOOL_AGENCY}&case_code={s.served_code}"],
    }


async def assets_bytes(stack: RunningStack, http: httpx.AsyncClient) -> int:
    """CSS and JS of a page, gzip: what a first load adds (the same for every role)."""
    home = await http.get(stack.console_url + "/")
    total = 0
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', home.text):
        total += len(gzip.compress((await http.get(stack.console_url + asset)).content))
    return total


def _label(path: str) -> str:
    """The path with its ids and case codes as placeholders."""
    path = re.sub(r"[0-9a-f-]{36}", "{id}", path)
    return re.sub(r"(?i)hw-?[0-9a-z]{4}-?[0-9a-z]{2}\b", "{code}", path)


async def main() -> None:
    results: list[tuple[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory() as folder:
        async with running_stack(Path(folder)) as stack:
            seeded = await seed(stack)
            async with httpx.AsyncClient(timeout=30) as http:
                await sign_in(stack, http, COORDINATOR)
                asset_bytes = await assets_bytes(stack, http)
                pages = {COORDINATOR: await coordinator_pages(stack, http, seeded)}
            pages.update(other_pages(seeded))
            for user, paths in pages.items():
                async with httpx.AsyncClient(timeout=30) as http:
                    await sign_in(stack, http, user)
                    http.follow_redirects = True  # /find answers with the family page's address
                    results += [(user, await measure(stack, http, path)) for path in paths]
            async with httpx.AsyncClient(timeout=30) as http:
                baseline = await measure(stack, http, "/healthz")
            await asyncio.sleep(0.5)  # the log line of the last request
            calls = api_calls_by_request(stack)
    print(f"{REQUESTS} requests per page; the coordinator's family of 6 persons, 20 assessments,"
          " 15 referrals; the part-2 roles' families of 2 (bench.console_seed)")  # fmt: skip
    print(f"  first load adds CSS + JS: {asset_bytes / 1024:.1f} KB gzip")
    columns = ("KB gzip", "p50 ms", "p95 ms", "API calls")
    print(f"  {'role':<12} {'page':<58} " + " ".join(f"{c:>9}" for c in columns))
    for user, row in [*results, ("", baseline)]:
        label = "/healthz (baseline)" if row is baseline else _label(row["path"])
        role = user.split(".")[0]
        print(f"  {role:<12} {label[:58]:<58} {row['bytes'] / 1024:>9.1f} {row['p50']:>9.1f} "
              f"{row['p95']:>9.1f} {calls.get(row['request_id'], 0):>9}")  # fmt: skip
    heaviest = max(row["bytes"] for _, row in results)
    print(
        f"  heaviest page {heaviest / 1024:.1f} KB; first load "
        f"{(heaviest + asset_bytes) / 1024:.1f} KB; at {datetime.now(UTC):%Y-%m-%d}"
    )
