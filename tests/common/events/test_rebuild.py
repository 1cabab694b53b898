"""Rebuilding read models from the retained events: what the inbox lacks is applied, once."""

from __future__ import annotations

import pytest
from consumer_helpers import a_consumer, probe_event, publish
from event_helpers import Probes, effects, probe_contracts

from homeward.common.events import InMemoryBroker
from homeward.common.events.rebuild import rebuild
from homeward.common.testing.kafka import unique_topic


@pytest.fixture
def probes() -> Probes:
    return probe_contracts(unique_topic("rebuild"))


async def test_a_rebuild_applies_what_the_group_skipped_and_nothing_twice(database, probes) -> None:
    broker = InMemoryBroker(default_partitions=2)
    events = [probe_event(probes, sequence=n) for n in range(1, 5)]
    await publish(broker, probes, *events[:2])
    live = a_consumer(broker, database, probes)
    await live.open()
    try:
        assert await live.run_once(timeout_ms=50) == 2  # applied and committed
        await publish(broker, probes, *events[2:])
        # Events 3 and 4 never applied: say the group's offsets were moved to the end.
        skipper = broker.consumer([probes.topic], live.group_id, "skipper")
        await live.close()
        await skipper.start()
        await skipper.commit(
            {(probes.topic, p): broker.end_offset(probes.topic, p) for p in (0, 1)}
        )
        await skipper.stop()

        progress: list[int] = []
        first = await rebuild(
            a_consumer(broker, database, probes, group_id=live.group_id, replay=True),
            progress=progress.append,
        )
        again = await rebuild(
            a_consumer(broker, database, probes, group_id=live.group_id, replay=True),
            progress=progress.append,
        )
    finally:
        await live.close()

    assert (first.read, first.applied) == (4, 2)
    assert (again.read, again.applied) == (4, 0)
    assert progress and progress[-1] == 4
    assert sorted(e.sequence for e in await effects(database)) == [1, 2, 3, 4]
    # The group's offsets were left as they were: a new member has nothing to read.
    member = broker.consumer([probes.topic], live.group_id, "member")
    await member.start()
    assert await member.getmany(timeout_ms=50, max_records=10) == []
    await member.stop()


async def test_only_a_replaying_consumer_rebuilds(database, probes) -> None:
    with pytest.raises(ValueError, match="replay=True"):
        await rebuild(a_consumer(InMemoryBroker(), database, probes), progress=print)
