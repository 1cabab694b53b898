"""Dead letters: what they carry, and how admins list and replay them."""

from __future__ import annotations

from event_helpers import ProbeEffect
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError

from homeward.common.db import Database
from homeward.common.events import (
    DeadLetter,
    InMemoryBroker,
    Message,
    dead_letter_topic,
    read_dead_letters,
    replay_dead_letter,
)
from homeward.common.events.deadletter import (
    MAX_ERROR_LENGTH,
    describe_error,
    publish_dead_letter,
)

ORIGINAL = Message(
    topic="homeward.referrals.referrals",
    partition=2,
    offset=41,
    key=b"case-7",
    value=b'{"referral_id": "r-1"}',
    headers=(("ce_id", b"e-1"), ("ce_type", b"homeward.referral.accepted.v1")),
)


def test_the_naming_convention() -> None:
    assert dead_letter_topic("referrals") == "homeward.referrals.deadletter"


def test_error_descriptions_are_short_and_never_quote_input() -> None:
    class Strict(BaseModel):
        count: int

    try:
        Strict.model_validate({"count": "Amina Example"})
    except ValidationError as error:
        described = describe_error(error)
    assert described == (
        "ValidationError: count: Input should be a valid integer, "
        "unable to parse string as an integer"
    )
    assert "Amina" not in described

    long = describe_error(RuntimeError("x" * 5000))
    assert len(long) == MAX_ERROR_LENGTH
    assert long.startswith("RuntimeError: xxx") and long.endswith("…")


async def test_admins_list_dead_letters_and_replay_them_to_the_original_topic() -> None:
    broker = InMemoryBroker()
    topic = dead_letter_topic("referrals")
    producer = broker.producer("consumer")
    await producer.start()
    await publish_dead_letter(
        producer,
        topic=topic,
        message=ORIGINAL,
        error=KeyError("agency"),
        attempts=5,
        consumer_group="homeward.notifications.referrals",
    )
    # A replayed message that fails again must not pile up dlq_ headers.
    again = Message(**{**ORIGINAL.__dict__, "headers": (*ORIGINAL.headers, ("dlq_attempts", b"5"))})
    await publish_dead_letter(
        producer, topic=topic, message=again, error=ValueError("still"), attempts=2,
        consumer_group="homeward.notifications.referrals",
    )  # fmt: skip

    letters = await read_dead_letters(broker, topic, limit=10)

    assert len(letters) == 2
    first: DeadLetter = letters[0]
    assert (first.key, first.value, first.headers) == (
        ORIGINAL.key,
        ORIGINAL.value,
        ORIGINAL.headers,
    )
    assert (first.original_topic, first.original_partition, first.original_offset) == (
        "homeward.referrals.referrals",
        2,
        41,
    )
    assert first.error == "KeyError: 'agency'"
    assert first.attempts == 5
    assert first.consumer_group == "homeward.notifications.referrals"
    assert first.failed_at is not None and first.failed_at.tzinfo is not None
    assert (first.event_id, first.event_type) == ("e-1", "homeward.referral.accepted.v1")
    assert letters[1].attempts == 2
    assert [name for name, _ in letters[1].headers] == ["ce_id", "ce_type"]
    assert await read_dead_letters(broker, topic, limit=1) == letters[:1]

    await replay_dead_letter(broker, first)

    [replayed] = broker.messages("homeward.referrals.referrals")
    assert (replayed.key, replayed.value, replayed.headers) == (
        ORIGINAL.key,
        ORIGINAL.value,
        ORIGINAL.headers,
    )


async def test_an_empty_dead_letter_topic_lists_nothing() -> None:
    broker = InMemoryBroker()
    await broker.create_topics(["homeward.quiet.deadletter"], 1)
    assert await read_dead_letters(broker, "homeward.quiet.deadletter", limit=10) == []


async def test_a_failed_statement_names_its_table_and_error_classes_never_its_values(
    database: Database,
) -> None:
    async with database.transaction() as session:
        session.add(ProbeEffect(id=1, event_id="e-1", case_id="Amina Example", sequence=1))
    try:
        async with database.transaction() as session:
            session.add(ProbeEffect(id=1, event_id="e-2", case_id="Amina Example", sequence=2))
    except IntegrityError as error:
        described = describe_error(error)
        logged = str(error)
    assert described.startswith("IntegrityError (")
    assert described.endswith("on table test_probe_effect")
    for shown in (described, logged):  # neither the header nor a traceback in the log
        assert "Amina" not in shown and "e-2" not in shown
