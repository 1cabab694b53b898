"""Partitions held back by a failing message, so that only they wait for its retries.

A message whose handler fails is held with every later message of its partition (in offset
order) until it succeeds, is dead-lettered, or the database answers again; the consumer goes
on with the other partitions meanwhile and commits a held partition only up to its held
message, so a crash or a rebalance redelivers from there. Pure bookkeeping, no I/O.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from homeward.common.events.broker import Message, TopicPartition


@dataclass
class Hold:
    """A partition's held messages (the first is the one failing) and its retry schedule."""

    messages: deque[Message] = field(default_factory=deque)
    attempts: int = 0  # handler failures of the first message
    outages: int = 0  # database outages in a row
    due_at: float = 0.0
    error: BaseException | None = None


class Holds:
    def __init__(self) -> None:
        self._holds: dict[TopicPartition, Hold] = {}

    def __bool__(self) -> bool:
        return bool(self._holds)

    def __contains__(self, where: object) -> bool:
        return where in self._holds

    def hold(self, message: Message) -> Hold:
        """Hold `message`'s partition from `message` on (it becomes the head)."""
        held = self._holds.setdefault((message.topic, message.partition), Hold())
        held.messages.appendleft(message)
        return held

    def absorb(self, messages: Iterable[Message]) -> list[Message]:
        """Queue messages of held partitions behind their held ones; returns the others.
        A message already queued (the broker rewound after a rebalance) is not queued twice."""
        free = []
        for message in messages:
            held = self._holds.get((message.topic, message.partition))
            if held is None:
                free.append(message)
            elif message.offset > held.messages[-1].offset:
                held.messages.append(message)
        return free

    def due(self, now: float | None = None) -> list[TopicPartition]:
        moment = time.monotonic() if now is None else now
        return sorted(where for where, held in self._holds.items() if held.due_at <= moment)

    def seconds_to_next(self) -> float | None:
        if not self._holds:
            return None
        return max(min(held.due_at for held in self._holds.values()) - time.monotonic(), 0.0)

    def get(self, where: TopicPartition) -> Hold:
        return self._holds[where]

    def release(self, where: TopicPartition) -> None:
        self._holds.pop(where, None)

    def clear(self) -> None:
        self._holds.clear()
