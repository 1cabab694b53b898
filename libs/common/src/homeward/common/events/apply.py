"""Applying events: the handler's effect and the event's inbox row in one transaction.

`apply_one` is the unit a consumer retries; `apply_batch` applies a whole poll's batch in a
single transaction (one commit instead of one per event, which is what bounds throughput on
a real disk) and, if anything in it fails, rolls it all back and says which message failed,
so the consumer can replay the batch one message at a time (`attempts.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from homeward.common.db import Database, utcnow
from homeward.common.events.broker import Message
from homeward.common.events.contracts import ContractRegistry, EventContract
from homeward.common.events.envelope import CloudEvent, MalformedEvent
from homeward.common.events.inbox import ProcessedEvent
from homeward.common.events.retry import is_infrastructure_failure
from homeward.common.tracing import TraceContext, current_trace

C = TypeVar("C", bound=EventContract)
# A handler of contract C: it gets the parsed contract (typed) and the envelope's metadata.
ContractHandler = Callable[[AsyncSession, C, CloudEvent], Awaitable[None]]
Handler = ContractHandler[Any]
# How every service registers its handlers: keyed by the contract class they handle.
HandlerMap = Mapping[type[EventContract], Handler]


class Outcome(StrEnum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    DEAD_LETTERED = "dead_lettered"


@dataclass(frozen=True)
class BatchFailed:
    """A batch rolled back. `failed` is the message whose handler raised, when it was one
    (not the database, nor the commit): the batch was its first attempt."""

    error: BaseException
    failed: Message | None


@contextlib.contextmanager
def _continuing_trace(cloud_event: CloudEvent) -> Iterator[None]:
    """The handler's logs and staged events carry the trace of the event they handle."""
    token = current_trace.set(TraceContext.continue_from(cloud_event.traceparent))
    try:
        yield
    finally:
        current_trace.reset(token)


class InboxApplier:
    def __init__(
        self,
        database: Database,
        *,
        group_id: str,
        handlers: HandlerMap,
        registry: ContractRegistry,
    ) -> None:
        self.database = database
        self.group_id = group_id
        self.registry = registry
        # What is looked up per message, by the CloudEvent's type.
        self._handlers = {
            getattr(contract, "event_type", contract.__qualname__): handler
            for contract, handler in handlers.items()
        }

    def handler_for(self, cloud_event: CloudEvent) -> tuple[Handler, type[EventContract]] | None:
        """The handler and contract of the event's type; None: not this consumer's."""
        handler = self._handlers.get(cloud_event.type)
        model = self.registry.model_for(cloud_event.type)
        return None if handler is None or model is None else (handler, model)

    async def apply_one(
        self, message: Message, cloud_event: CloudEvent, contract: EventContract, handler: Handler
    ) -> Outcome:
        with _continuing_trace(cloud_event):
            async with self.database.transaction() as session:
                inbox_key = {"consumer_group": self.group_id, "event_id": cloud_event.id}
                if await session.get(ProcessedEvent, inbox_key) is not None:
                    return Outcome.DUPLICATE
                await handler(session, contract, cloud_event)
                session.add(self._inbox_row(message, cloud_event))
            return Outcome.HANDLED

    async def apply_batch(
        self, messages: Sequence[Message], stopping: asyncio.Event
    ) -> list[Outcome] | BatchFailed | None:
        """The batch in one transaction (a prefix of it when stopping); None when a message
        is malformed (the one-by-one path dead-letters it)."""
        outcomes: list[Outcome] = []
        try:
            events = [CloudEvent.from_kafka(m.key, m.value, m.headers) for m in messages]
        except MalformedEvent:
            return None
        try:
            async with self.database.transaction() as session:
                # One query for the whole batch's inbox instead of one per event.
                seen = set(
                    await session.exec(
                        select(ProcessedEvent.event_id).where(
                            ProcessedEvent.consumer_group == self.group_id,
                            col(ProcessedEvent.event_id).in_([e.id for e in events]),
                        )
                    )
                )
                for message, cloud_event in zip(messages, events, strict=True):
                    if stopping.is_set():
                        break  # commit what is done; the rest goes to the next member
                    if (found := self.handler_for(cloud_event)) is None:
                        outcomes.append(Outcome.IGNORED)
                        continue
                    if cloud_event.id in seen:
                        outcomes.append(Outcome.DUPLICATE)
                        continue
                    handler, model = found
                    contract = model.model_validate(cloud_event.data)
                    with _continuing_trace(cloud_event):
                        await handler(session, contract, cloud_event)
                    session.add(self._inbox_row(message, cloud_event))
                    seen.add(cloud_event.id)
                    outcomes.append(Outcome.HANDLED)
        except Exception as error:
            handler_failed = not is_infrastructure_failure(error) and len(outcomes) < len(messages)
            return BatchFailed(error, messages[len(outcomes)] if handler_failed else None)
        return outcomes

    def _inbox_row(self, message: Message, cloud_event: CloudEvent) -> ProcessedEvent:
        return ProcessedEvent(
            consumer_group=self.group_id,
            event_id=cloud_event.id,
            topic=message.topic,
            processed_at=utcnow(),
        )
