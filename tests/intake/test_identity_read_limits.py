"""Identity reads are limited per actor, whoever reads: a coordinator through the case, a
partner agency's need-to-know reveal, the civil registry. Past the limit a reader gets 429
with Retry-After (whatever person it asks for), the refusal is audited and counted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from homeward.common.testing.apps import ServiceHarness
from homeward.common.testing.idp import RunningIdentityProvider
from tests.intake.conftest import running_intake
from tests.intake.intake_helpers import (
    COORDINATOR,
    FAMILY_SECRETS,
    SCHOOL,
    Referral,
    case_with_school_consent,
    family,
    feed_events,
)

LIMIT = 3
UNKNOWN_PERSON = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
async def limited(
    database_url: str, identity_provider: RunningIdentityProvider
) -> AsyncIterator[ServiceHarness]:
    async with running_intake(
        database_url, identity_provider, identity_reads_per_minute=LIMIT
    ) as harness:
        yield harness


def _refused_reads() -> float:
    value = REGISTRY.get_sample_value(
        "homeward_identity_reads_refused_total", {"service": "intake"}
    )
    return value or 0.0


async def _case(intake: ServiceHarness) -> dict[str, Any]:
    response = await intake.call(COORDINATOR, "POST", "/v1/cases", json=family())
    assert response.status_code == 201, response.text
    return response.json()


def _assert_too_many(response: Any) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert 1 <= int(response.headers["retry-after"]) <= 60
    for secret in FAMILY_SECRETS:
        assert secret not in response.text


async def _refusals_in_the_trail(intake: ServiceHarness) -> list[dict[str, Any]]:
    """The refusals audited (each test has a database of its own), newest first."""
    trail = await intake.call(
        "auditor", "GET", "/v1/audit", params={"action": "identity.read_refused"}
    )
    assert trail.status_code == 200, trail.text
    # The refusal names the reader, never the person asked for.
    entries = trail.json()["items"]
    assert all(entry["subject_code"] is None for entry in entries)
    return entries


async def test_a_bulk_reader_gets_429_with_retry_after_and_the_refusal_is_counted(
    limited: ServiceHarness,
) -> None:
    case = await _case(limited)
    paths = [
        f"/v1/cases/{case['id']}/persons/{person['id']}/identity" for person in case["persons"]
    ]
    purpose = {"X-Purpose": "case-review"}
    for path in paths:
        read = await limited.call(COORDINATOR, "GET", path, headers=purpose)
        assert read.status_code == 200, read.text
    before = _refused_reads()
    _assert_too_many(await limited.call(COORDINATOR, "GET", paths[0], headers=purpose))
    assert _refused_reads() == before + 1
    # The limit is per actor: the supervisor still reads.
    other = await limited.call("supervisor.riverton", "GET", paths[0], headers=purpose)
    assert other.status_code == 200
    # The auditor sees the refusal in the trail.
    audit = await limited.call("auditor", "GET", "/v1/audit")
    actions = [entry["action"] for entry in audit.json()["items"]]
    assert actions.count("identity.read") == LIMIT + 1
    assert len(await _refusals_in_the_trail(limited)) == 1


async def test_a_partner_agency_is_limited_too_and_its_429_says_nothing_of_the_person(
    limited: ServiceHarness,
) -> None:
    case = await case_with_school_consent(limited)
    school = Referral(case, SCHOOL)
    await feed_events(limited, school.sent(), school.accepted())
    child = f"/v1/agency/persons/{case['persons'][1]['id']}/identity"
    purpose = {"X-Purpose": "documentation"}
    for _ in range(LIMIT):
        read = await limited.call("school.riverton", "GET", child, headers=purpose)
        assert read.status_code == 200, read.text
    before = _refused_reads()
    _assert_too_many(await limited.call("school.riverton", "GET", child, headers=purpose))
    # A person who does not exist: 429 as well, not 404, so the limit is no existence oracle.
    unknown = f"/v1/agency/persons/{UNKNOWN_PERSON}/identity"
    _assert_too_many(await limited.call("school.riverton", "GET", unknown, headers=purpose))
    assert _refused_reads() == before + 2
    refusals = await _refusals_in_the_trail(limited)
    assert [entry["agency_id"] for entry in refusals] == [SCHOOL[0], SCHOOL[0]]


async def test_a_documents_officer_is_limited_too(limited: ServiceHarness) -> None:
    case = await _case(limited)
    mother = f"/v1/registry/persons/{case['persons'][0]['id']}/identity"
    documentation = {"purpose": "documentation"}
    for _ in range(LIMIT):
        read = await limited.call("documents.riverton", "GET", mother, params=documentation)
        assert read.status_code == 200, read.text
    before = _refused_reads()
    refused = await limited.call("documents.riverton", "GET", mother, params=documentation)
    _assert_too_many(refused)
    unknown = f"/v1/registry/persons/{UNKNOWN_PERSON}/identity"
    _assert_too_many(await limited.call("documents.riverton", "GET", unknown, params=documentation))
    assert _refused_reads() == before + 2
    assert len(await _refusals_in_the_trail(limited)) == 2
    # Another officer, and the coordinator, read on: the count is each actor's own.
    lakeside = await limited.call("documents.lakeside", "GET", mother, params=documentation)
    assert lakeside.status_code == 404
    coordinators = f"/v1/cases/{case['id']}/persons/{case['persons'][0]['id']}/identity"
    read = await limited.call(COORDINATOR, "GET", coordinators, headers={"X-Purpose": "contact"})
    assert read.status_code == 200, read.text
