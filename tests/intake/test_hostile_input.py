"""Numbers beyond what the database can hold are refused as input (422), never a 500:
INTEGER keys are 32-bit on PostgreSQL."""

from __future__ import annotations

import pytest

from homeward.common.testing.apps import ServiceHarness


@pytest.mark.parametrize("before_id", [str(2**31), str(2**63), "99999999999999999999", "0", "-5"])
async def test_an_audit_cursor_beyond_64_bits_is_422(
    intake: ServiceHarness, before_id: str
) -> None:
    response = await intake.call("auditor", "GET", "/v1/audit", params={"before_id": before_id})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_largest_audit_cursor_is_an_empty_page(intake: ServiceHarness) -> None:
    response = await intake.call("auditor", "GET", "/v1/audit", params={"before_id": 2**31 - 1})
    assert response.status_code == 200, response.text


async def test_an_identity_read_without_a_token_is_401_before_its_purpose_is_checked(
    intake: ServiceHarness,
) -> None:
    path = "/v1/cases/x/persons/y/identity"
    response = await intake.http.get(path)  # no token, no purpose
    assert response.status_code == 401, response.text
