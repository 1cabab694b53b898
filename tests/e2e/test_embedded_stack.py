"""Smoke: `make run`'s stack starts, every service is ready, tokens are honoured, Ctrl-C stops all.

The stack runs exactly as a user starts it (`python -m homeward.common.devstack`), on free
ports and a scratch data folder so that it never collides with a developer's running stack.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

SERVICES = ("intake", "referrals", "documents", "notifications")

pytestmark = pytest.mark.stack


def _free_port_block(size: int) -> int:
    """A first port whose `size` successors are all free on loopback."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + size >= 65535:
            continue
        try:
            for port in range(first, first + size):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError("no block of free ports")


async def _token(client: httpx.AsyncClient, stack: RunningStack, username: str) -> str:
    response = await client.post(
        stack.token_url,
        data={"grant_type": "password", "client_id": "homeward-demo",
              "username": username, "password": "demo"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


class RunningStack:
    def __init__(self, process: asyncio.subprocess.Process, base_port: int, output: list[str]):
        self.process = process
        self.base_port = base_port
        self.output = output

    def service_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.base_port + 1 + SERVICES.index(name)}"

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self.base_port}/realms/homeward/protocol/openid-connect/token"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningStack]:
    base_port = _free_port_block(5)
    kafka_port = _free_port_block(1)
    data_dir: Path = tmp_path_factory.mktemp("stack")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOMEWARD_", "KAFKA_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "homeward.common.devstack",
        "--base-port",
        str(base_port),
        "--kafka-port",
        str(kafka_port),
        "--data-dir",
        str(data_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
    )
    output: list[str] = []

    async def until_ready() -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            output.append(raw.decode(errors="replace"))
            if output[-1].startswith("Ready in"):
                return
        raise AssertionError("the stack exited before it was ready:\n" + "".join(output))

    try:
        await asyncio.wait_for(until_ready(), timeout=60)
    except BaseException:
        process.kill()
        await process.wait()
        raise
    yield RunningStack(process, base_port, output)
    if process.returncode is None:
        process.kill()
        await process.wait()


async def test_every_service_reports_ready(stack: RunningStack) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        for name in SERVICES:
            response = await client.get(stack.service_url(name) + "/readyz")
            assert response.status_code == 200, (name, response.text)
            assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


async def test_authenticated_call_to_each_service_answers_200_and_anonymous_401(
    stack: RunningStack,
) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        token_response = await client.post(
            stack.token_url,
            data={
                "grant_type": "password",
                "client_id": "homeward-demo",
                "username": "coordinator.riverton",
                "password": "demo",
            },
        )
        assert token_response.status_code == 200, token_response.text
        token = token_response.json()["access_token"]
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
            token = await _token(client, stack, user)
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
