"""The embedded stack as a user starts it (`python -m homeward.common.devstack`), for tests.

It runs on free ports and a scratch data folder, so it never collides with a developer's
running stack; `env` adds settings for every child (short deadlines, a test SMTP server).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import httpx

from homeward.common.testing.ports import free_port_block

SERVICES = ("intake", "referrals", "documents", "notifications")
# The console follows the four APIs (`make run` prints its URL first).
CONSOLE_PORT_OFFSET = len(SERVICES) + 1
# As devstack lays them out: the IdP, the four APIs and the console, then a metrics port each.
PORT_BLOCK = 1 + 2 * (len(SERVICES) + 1)


class RunningStack:
    def __init__(
        self,
        process: asyncio.subprocess.Process,
        *,
        base_port: int,
        kafka_port: int,
        data_dir: Path,
        output: list[str],
    ) -> None:
        self.process = process
        self.base_port = base_port
        self.kafka_bootstrap = f"127.0.0.1:{kafka_port}"
        self.data_dir = data_dir
        self.output = output

    def service_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.base_port + 1 + SERVICES.index(name)}"

    def metrics_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.base_port + 2 + len(SERVICES) + SERVICES.index(name)}"

    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.base_port + CONSOLE_PORT_OFFSET}"

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self.base_port}/realms/homeward/protocol/openid-connect/token"

    async def user_token(self, username: str) -> str:
        form = {"grant_type": "password", "client_id": "homeward-demo",
                "username": username, "password": "demo"}  # fmt: skip
        return await self._token(form, auth=None)

    async def system_token(self, client_id: str) -> str:
        """A partner system's token (client credentials; demo secret `<client>-secret`)."""
        form = {"grant_type": "client_credentials"}
        return await self._token(form, auth=(client_id, f"{client_id}-secret"))

    async def _token(self, form: dict[str, str], auth: tuple[str, str] | None) -> str:
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.post(self.token_url, data=form, auth=auth)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def logs(self) -> str:
        return "".join(
            path.read_text(errors="replace") for path in sorted(self.data_dir.glob("logs/*.log"))
        )


@contextlib.asynccontextmanager
async def running_stack(
    data_dir: Path, env: Mapping[str, str] | None = None, *, ready_timeout_s: float = 90
) -> AsyncIterator[RunningStack]:
    base_port = free_port_block(PORT_BLOCK)
    kafka_port = free_port_block(1)
    while base_port <= kafka_port < base_port + PORT_BLOCK:  # not one of the block
        kafka_port = free_port_block(1)
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("HOMEWARD_", "KAFKA_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "homeward.common.devstack",
        "--base-port", str(base_port), "--kafka-port", str(kafka_port),
        "--data-dir", str(data_dir),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**clean_env, **(env or {})},
    )  # fmt: skip
    output: list[str] = []

    async def until_ready() -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            output.append(raw.decode(errors="replace"))
            if output[-1].startswith("Ready in"):
                return
        raise AssertionError("the stack exited before it was ready:\n" + "".join(output))

    async def keep_reading() -> None:
        assert process.stdout is not None
        async for raw in process.stdout:  # what the stack prints while it runs, too
            output.append(raw.decode(errors="replace"))

    reader: asyncio.Task[None] | None = None
    try:
        await asyncio.wait_for(until_ready(), timeout=ready_timeout_s)
        reader = asyncio.create_task(keep_reading())
        yield RunningStack(
            process, base_port=base_port, kafka_port=kafka_port, data_dir=data_dir, output=output
        )
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)  # as a user stops it: every child in order
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except TimeoutError:
                process.kill()
                await process.wait()
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
