"""Test data for intake: a family whose identity values must never leak."""

from __future__ import annotations

from typing import Any


def family(**overrides: Any) -> dict[str, Any]:
    """A mother and two children, with identities: the case the field reports describe."""
    body: dict[str, Any] = {
        "return_operation": "2025 spring repatriation",
        "arrival_date": "2025-03-01",
        "placement": "rehabilitation-centre",
        "persons": [
            {
                "ref": "mother",
                "household_role": "mother",
                "birth_year": 1994,
                "sex": "female",
                "identity": {
                    "full_name": "Zaynab Qorvath-Elmira",
                    "date_of_birth": "1994-05-17",
                    "place_of_birth": "Vantmoor",
                    "national_id": "NID-88412093",
                    "address": "14 Quillon Lane, Riverton",
                    "phone": "+31 6 4417 2290",
                },
            },
            {
                "ref": "child-1",
                "household_role": "child",
                "birth_year": 2016,
                "sex": "female",
                "guardian_ref": "mother",
                "identity": {"full_name": "Liyana Qorvath", "date_of_birth": "2016-09-03"},
            },
            {
                "ref": "child-2",
                "household_role": "child",
                "birth_year": 2019,
                "sex": "male",
                "guardian_ref": "mother",
                "identity": {"full_name": "Idris Qorvath", "national_id": "NID-99120577"},
            },
        ],
    }
    body.update(overrides)
    return body


# Every identity value in `family()`: none may appear in events, logs, lists or errors.
FAMILY_SECRETS = [
    "Zaynab Qorvath-Elmira",
    "Qorvath",
    "1994-05-17",
    "Vantmoor",
    "NID-88412093",
    "Quillon Lane",
    "+31 6 4417 2290",
    "Liyana",
    "2016-09-03",
    "Idris",
    "NID-99120577",
]


def in_days(days: int) -> str:
    """An ISO date relative to today, so validity rules do not rot as the calendar moves."""
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


async def feed_events(intake: Any, *events: Any) -> None:
    """Publish other services' events to intake's broker; wait until its consumer applied them."""
    from sqlmodel import col, select

    from homeward.common.events.inbox import ProcessedEvent
    from homeward.common.testing.kafka import wait_for
    from tests.referrals.helpers import produce

    producer = intake.broker.producer("intake-tests")
    await producer.start()
    try:
        ids = [await produce(producer, event) for event in events]
    finally:
        await producer.stop()

    async def applied() -> bool:
        async with intake.database.session() as session:
            query = select(ProcessedEvent.event_id).where(col(ProcessedEvent.event_id).in_(ids))
            return len((await session.exec(query)).all()) == len(ids)

    await wait_for(applied, timeout_s=15)
