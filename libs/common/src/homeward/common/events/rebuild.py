"""Rebuilding what a service derived from events (its read models) from the retained events.

For a read model that diverged anyway (events lost beyond the outbox's window were found
again, a bug fixed): each consumer group of the service reads every record its topics
still hold, from the earliest, without joining the group, and applies only the events its
inbox does not have, each in one transaction with its inbox row as always. What was applied
before is skipped, so nothing happens twice; running it while the service runs is safe (two
appliers of one event collide on the inbox's key, and the loser skips it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeward.common.events.consumer import EventConsumer, Outcome


@dataclass(frozen=True)
class Rebuilt:
    group: str
    read: int
    applied: int  # the rest had been applied already, or concern no handler


async def rebuild(consumer: EventConsumer, *, progress: Callable[[int], None]) -> Rebuilt:
    """Replay the retained records of `consumer`'s topics (`consumer.replay` must be set)."""
    if not consumer.replay:
        raise ValueError("rebuild a read model with a replaying consumer (replay=True)")
    await consumer.open()
    try:
        while True:
            count = await consumer.run_once(timeout_ms=500)
            if count:
                progress(sum(consumer.outcomes.values()))
            elif not consumer.retrying and await consumer.caught_up():
                break
    finally:
        await consumer.close()
    return Rebuilt(
        group=consumer.group_id,
        read=sum(consumer.outcomes.values()),
        applied=consumer.outcomes[Outcome.HANDLED],
    )
