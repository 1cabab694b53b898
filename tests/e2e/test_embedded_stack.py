"""Smoke: `make run`'s stack starts, every service is ready, tokens are honoured, Ctrl-C stops all.

The stack runs exactly as a user starts it (`python -m homeward.common.devstack`), on free
ports and a scratch data folder so that it never collides with a developer's running stack.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from tests.e2e.stack import SERVICES, RunningStack, running_stack

pytestmark = pytest.mark.stack


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningStack]:
    async with running_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


async def test_every_service_reports_ready(stack: RunningStack) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        for name in SERVICES:
            response = await client.get(stack.service_url(name) + "/readyz")
            assert response.status_code == 200, (name, response.text)
            assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


async def test_authenticated_call_to_each_service_answers_200_and_anonymous_401(
    stack: RunningStack,
) -> None:
    token = await stack.user_token("coordinator.riverton")
    async with httpx.AsyncClient(timeout=5) as client:
        for name in SERVICES:
            me = await client.get(
                stack.service_url(name) + "/v1/me", headers={"Authorization": f"Bearer {token}"}
            )
            assert me.status_code == 200, (name, me.text)
            assert me.json()["roles"] == ["coordinator"]
            assert me.json()["municipality"] == "riverton"
            anonymous = await client.get(stack.service_url(name) + "/v1/me")
            assert anonymous.status_code == 401
            assert anonymous.headers["content-type"] == "application/problem+json"


async def test_metrics_are_served_on_their_own_port_only(stack: RunningStack) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        for name in SERVICES:
            scraped = await client.get(stack.metrics_url(name) + "/metrics")
            assert scraped.status_code == 200, name
            assert "homeward_http_request_duration_seconds" in scraped.text
            assert (await client.get(stack.service_url(name) + "/metrics")).status_code == 404


async def test_the_output_tells_the_user_where_everything_is(stack: RunningStack) -> None:
    printed = "".join(stack.output)
    for name in SERVICES:
        assert stack.service_url(name) in printed
    assert "grant_type=password" in printed


async def test_the_stack_comes_with_a_demo_family_only_its_municipality_sees(
    stack: RunningStack,
) -> None:
    printed = "".join(stack.output)
    [line] = [line for line in stack.output if line.startswith("Demo data: the family ")]
    code = line.split()[4]
    assert code.startswith("HW-") and code in printed
    async with httpx.AsyncClient(timeout=5) as client:
        for user, expected in (("coordinator.riverton", [code]), ("coordinator.lakeside", [])):
            token = await stack.user_token(user)
            cases = await client.get(
                stack.service_url("intake") + "/v1/cases",
                headers={"Authorization": f"Bearer {token}"},
            )
            assert [case["code"] for case in cases.json()["items"]] == expected


async def test_ctrl_c_stops_every_child(stack: RunningStack) -> None:
    stack.process.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(stack.process.wait(), timeout=30) == 0
    async with httpx.AsyncClient(timeout=1) as client:
        for name in SERVICES:
            with pytest.raises(httpx.ConnectError):
                await client.get(stack.service_url(name) + "/healthz")
