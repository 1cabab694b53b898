"""What the journey test needs around the stack: callers with real tokens, a live-stream
reader, everything that was said on the bus, and the personal data that must never leak."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from tests.e2e.stack import RunningStack

# The family's identities: invented, and each one distinctive enough that finding it anywhere
# it must not be (the bus, logs, notifications, webhooks, emails) cannot be a coincidence.
MOTHER = {"full_name": "Amira Journeytest Qassem", "date_of_birth": "1993-04-17",
          "place_of_birth": "Raqqa-Journeytest", "national_id": "NID-7731-5528-JT",
          "phone": "+31 6 5550 1937", "address": "Journeyweg 17, Riverton"}  # fmt: skip
ELDER = {"full_name": "Layla Journeytest Qassem", "date_of_birth": "2016-09-03",
         "place_of_birth": "Al-Hol-Journeytest"}  # fmt: skip
YOUNGER = {"full_name": "Omar Journeytest Qassem", "date_of_birth": "2020-01-29"}
BIRTH_CERTIFICATE_NUMBER = "BC-JT-2026-448812"
MOTHER_ID_CARD_NUMBER = "IDC-JT-99120734"
PERSONAL_DATA = sorted(
    {value for identity in (MOTHER, ELDER, YOUNGER) for value in identity.values()}
    | {"Journeytest", BIRTH_CERTIFICATE_NUMBER, MOTHER_ID_CARD_NUMBER}
)


def personal_data_in(text: str) -> list[str]:
    return [value for value in PERSONAL_DATA if value in text]


class Callers:
    """Calls the stack's services as a demo user or a partner system, with real tokens."""

    def __init__(self, stack: RunningStack, http: httpx.AsyncClient) -> None:
        self.stack = stack
        self.http = http
        self._tokens: dict[str, str] = {}

    async def token(self, who: str) -> str:
        if who not in self._tokens:
            is_system = who.endswith("-system")
            get = self.stack.system_token if is_system else self.stack.user_token
            self._tokens[who] = await get(who)
        return self._tokens[who]

    async def call(
        self, who: str | None, service: str, method: str, path: str, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {await self.token(who)}"} if who else {}
        headers |= kwargs.pop("headers", {})
        url = self.stack.service_url(service) + path
        return await self.http.request(method, url, headers=headers, **kwargs)

    async def ok(self, who: str, service: str, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.call(who, service, method, path, **kwargs)
        assert response.is_success, f"{who} {method} {service}{path}: {response.text}"
        return response.json() if response.content else None

    async def refused(
        self, service: str, method: str, path: str, expected: dict[str | None, int], **kwargs: Any
    ) -> None:
        """Each caller in `expected` gets exactly that status: 404 when the object is out of
        their sight, 403 when their role may not do this, 401 without a token (None);
        problem+json every time."""
        body = kwargs.pop("json", {} if method != "GET" else None)  # a valid body, if any
        for who, status in expected.items():
            response = await self.call(who, service, method, path, json=body, **kwargs)
            assert response.status_code == status, (who, method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"


async def eventually(
    check: Callable[[], Awaitable[Any] | Any], *, what: str, timeout_s: float = 45
) -> Any:
    """Polls `check` until it returns something truthy; events cross services asynchronously."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for: {what} (last: {result!r})")
        await asyncio.sleep(0.25)


@contextlib.asynccontextmanager
async def live_stream(callers: Callers, who: str) -> AsyncIterator[list[dict[str, Any]]]:
    """Reads `who`'s live stream in the background; yields the list of events received."""
    received: list[dict[str, Any]] = []
    headers = {"Authorization": f"Bearer {await callers.token(who)}"}
    url = callers.stack.service_url("notifications") + "/v1/notifications/stream"

    async def read() -> None:
        async with (
            httpx.AsyncClient(timeout=httpx.Timeout(5, read=None)) as client,
            client.stream("GET", url, headers=headers) as response,
        ):
            assert response.status_code == 200, await response.aread()
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    received.append(json.loads(line[6:]))

    reader = asyncio.create_task(read())
    try:
        yield received
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        if reader.done() and not reader.cancelled() and reader.exception():
            raise reader.exception()  # type: ignore[misc]


async def everything_on_the_bus(bootstrap: str) -> list[tuple[str, bytes, bytes]]:
    """(topic, key, value) of every record of every Homeward topic, from the beginning."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        topics = sorted(t for t in await consumer.topics() if t.startswith("homeward."))
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[tuple[str, bytes, bytes]] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batch = await consumer.getmany(timeout_ms=500)
            for tp, messages in batch.items():
                records += [(tp.topic, m.key or b"", m.value or b"") for m in messages]
        return records
    finally:
        await consumer.stop()


def today() -> str:
    return datetime.now(UTC).date().isoformat()
