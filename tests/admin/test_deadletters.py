"""`homeward deadletters`: list, inspect, replay and purge against a real (Tansu) broker.

Tansu does not implement DeleteRecords, so a purge is a committed "purged up to" offset of
the group `homeward-admin.deadletters.<service>`, which list, inspect and replay honour.
"""

from __future__ import annotations

import json

import pytest

from homeward.common.events import KafkaBroker, Message, dead_letter_topic
from homeward.common.events.deadletter import publish_dead_letter
from tests.admin.conftest import Homeward

ORIGINAL_TOPIC = "homeward.referrals.referrals"
TOPIC = dead_letter_topic("notifications")


def original(number: int) -> Message:
    return Message(
        topic=ORIGINAL_TOPIC,
        partition=1,
        offset=40 + number,
        key=f"case-{number}".encode(),
        value=json.dumps({"referral_id": f"r-{number}", "case_code": "HW-7KQ3-M9"}).encode(),
        headers=(
            ("ce_id", f"event-{number}".encode()),
            ("ce_type", b"homeward.referral.accepted.v1"),
        ),
    )


@pytest.fixture
async def dead_letters(homeward: Homeward, kafka: str) -> KafkaBroker:
    """Three dead letters of notifications, at 0:0, 0:1 and 0:2 (one partition)."""
    assert (await homeward("topics", "create", "--partitions", "1")).code == 0
    broker = KafkaBroker(bootstrap_servers=kafka)
    producer = broker.producer("test")
    await producer.start()
    for number in range(3):
        await publish_dead_letter(
            producer,
            topic=TOPIC,
            message=original(number),
            error=KeyError(f"agency-{number}"),
            attempts=5,
            consumer_group="homeward.notifications.routing",
        )
    await producer.stop()
    return broker


async def read_all(broker: KafkaBroker, topic: str) -> list[Message]:
    reader = broker.consumer([topic], group_id=None, client_id="test-reader")
    await reader.start()
    messages: list[Message] = []
    try:
        for _ in range(20):
            messages += await reader.getmany(timeout_ms=200, max_records=100)
            if messages and not await reader.getmany(timeout_ms=200, max_records=1):
                break
    finally:
        await reader.stop()
    return messages


async def test_list_shows_where_each_came_from_and_why_it_failed(
    homeward: Homeward, dead_letters: KafkaBroker
) -> None:
    table = await homeward("deadletters", "list", "notifications")
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert lines[0].split()[:3] == ["POSITION", "FAILED", "AT"]
    assert [line.split()[0] for line in lines[1:4]] == ["0:0", "0:1", "0:2"]
    assert "homeward.referral.accepted.v1" in lines[1] and "event-0" in lines[1]
    assert f"{ORIGINAL_TOPIC}[1]@40" in lines[1] and "KeyError: 'agency-0'" in lines[1]
    assert lines[-1] == f"3 dead letter(s) on {TOPIC}"

    rows = json.loads((await homeward("deadletters", "list", "notifications", "--json")).out)
    assert [row["position"] for row in rows] == ["0:0", "0:1", "0:2"]
    assert (
        rows[2]["attempts"] == 5 and rows[2]["consumer_group"] == "homeward.notifications.routing"
    )


async def test_inspect_shows_headers_and_the_payload_as_json(
    homeward: Homeward, dead_letters: KafkaBroker
) -> None:
    shown = await homeward("deadletters", "inspect", "notifications", "0:1", "--json")
    assert shown.code == 0, shown.err
    letter = json.loads(shown.out)
    assert letter["original_topic"] == ORIGINAL_TOPIC
    assert (letter["original_partition"], letter["original_offset"]) == (1, 41)
    assert letter["error"] == "KeyError: 'agency-1'"
    assert (letter["event_type"], letter["event_id"]) == (
        "homeward.referral.accepted.v1",
        "event-1",
    )
    assert letter["payload"] == {"referral_id": "r-1", "case_code": "HW-7KQ3-M9"}
    assert letter["key"] == "case-1"
    assert not any(name.startswith("dlq_") for name in letter["headers"])

    readable = await homeward("deadletters", "inspect", "notifications", "0:1")
    assert "original_topic" in readable.out and '"referral_id": "r-1"' in readable.out

    missing = await homeward("deadletters", "inspect", "notifications", "0:9")
    assert missing.code == 1 and "no dead letter at 0:9" in missing.err
    malformed = await homeward("deadletters", "inspect", "notifications", "first")
    assert malformed.code == 2 and "PARTITION:OFFSET" in malformed.err


async def test_replay_republishes_the_original_message_to_its_original_topic(
    homeward: Homeward, dead_letters: KafkaBroker
) -> None:
    one = await homeward("deadletters", "replay", "notifications", "0:2")
    assert one.code == 0, one.err
    assert f"replayed 0:2 to {ORIGINAL_TOPIC}" in one.out
    [replayed] = await read_all(dead_letters, ORIGINAL_TOPIC)
    expected = original(2)
    assert (replayed.key, replayed.value, replayed.headers) == (
        expected.key, expected.value, expected.headers
    )  # fmt: skip

    every = await homeward("deadletters", "replay", "notifications", "--all")
    assert every.code == 0 and "3 dead letter(s) replayed" in every.out
    assert len(await read_all(dead_letters, ORIGINAL_TOPIC)) == 4

    neither = await homeward("deadletters", "replay", "notifications")
    assert neither.code == 2 and "PARTITION:OFFSET or --all" in neither.err


async def test_purge_hides_dead_letters_from_list_inspect_and_replay(
    homeward: Homeward, dead_letters: KafkaBroker
) -> None:
    unconfirmed = await homeward("deadletters", "purge", "notifications", "--all")
    assert unconfirmed.code == 2 and "--yes" in unconfirmed.err

    before = await homeward("deadletters", "purge", "notifications", "--before", "0:2", "--yes")
    assert before.code == 0, before.err
    assert before.out.startswith("2 dead letter(s) purged")
    rows = json.loads((await homeward("deadletters", "list", "notifications", "--json")).out)
    assert [row["position"] for row in rows] == ["0:2"]
    gone = await homeward("deadletters", "inspect", "notifications", "0:0")
    assert gone.code == 1 and "purged" in gone.err
    assert (await homeward("deadletters", "replay", "notifications", "0:1")).code == 1
    replayed = await homeward("deadletters", "replay", "notifications", "--all")
    assert "1 dead letter(s) replayed" in replayed.out

    # Purging an earlier position again changes nothing: a purge never moves back.
    again = await homeward("deadletters", "purge", "notifications", "--before", "0:1", "--yes")
    assert again.out.startswith("0 dead letter(s) purged")

    # A new dead letter after a purge --all is listed: the mark sits after the last one purged.
    assert (await homeward("deadletters", "purge", "notifications", "--all", "--yes")).code == 0
    assert "0 dead letter(s) on" in (await homeward("deadletters", "list", "notifications")).out
    producer = dead_letters.producer("test")
    await producer.start()
    await publish_dead_letter(
        producer, topic=TOPIC, message=original(7), error=ValueError("late"), attempts=1,
        consumer_group="homeward.notifications.routing",
    )  # fmt: skip
    await producer.stop()
    rows = json.loads((await homeward("deadletters", "list", "notifications", "--json")).out)
    assert [(row["position"], row["event_id"]) for row in rows] == [("0:3", "event-7")]

    no_partition = await homeward(
        "deadletters", "purge", "notifications", "--before", "4:0", "--yes"
    )
    assert no_partition.code == 2 and "no partition 4" in no_partition.err


async def test_a_missing_dead_letter_topic_says_how_to_create_it(
    homeward: Homeward, kafka: str
) -> None:
    listed = await homeward("deadletters", "list", "intake")
    assert listed.code == 1
    assert "homeward.intake.deadletter does not exist: run `homeward topics create`" in listed.err
