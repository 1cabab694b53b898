"""Brute-force detection from the realm's settings, as Keycloak's DefaultBruteForceProtector:
on the login form, the password grant and client secrets; a locked-out subject gets exactly
the answer of a wrong password or secret. The issuer's clock is moved, never slept on."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from homeward.common.idp.bruteforce import BruteForceDetector
from homeward.common.idp.realm import BruteForcePolicy, load_realm
from homeward.common.testing.clock import FakeClock
from homeward.common.testing.idp import RunningIdentityProvider, running_identity_provider

REALM = load_realm()
POLICY = REALM.brute_force
SLOW = POLICY.quick_login_check_ms / 1000 + 1  # seconds between failures a person might type


async def password_grant(
    provider: RunningIdentityProvider, password: str, username: str = "coordinator.riverton"
) -> httpx.Response:
    return await provider.request_token(
        {
            "grant_type": "password",
            "client_id": "homeward-demo",
            "username": username,
            "password": password,
        }
    )


async def fail_slowly(
    provider: RunningIdentityProvider,
    clock: FakeClock,
    times: int,
    username: str = "coordinator.riverton",
) -> None:
    for _ in range(times):
        clock.advance(SLOW)
        assert (await password_grant(provider, "wrong", username)).status_code == 401


def test_the_realm_protects_against_brute_force_with_explicit_settings() -> None:
    assert POLICY.enabled and not POLICY.permanent_lockout
    assert (POLICY.failure_factor, POLICY.wait_increment_s) == (5, 60)
    assert (POLICY.max_failure_wait_s, POLICY.max_delta_time_s) == (900, 43200)
    assert (POLICY.quick_login_check_ms, POLICY.minimum_quick_login_wait_s) == (1000, 60)


async def test_a_locked_out_user_gets_the_wrong_password_answer_until_the_wait_is_over(
    own_issuer: RunningIdentityProvider, clock: FakeClock
) -> None:
    await fail_slowly(own_issuer, clock, POLICY.failure_factor - 1)
    clock.advance(SLOW)
    assert (await password_grant(own_issuer, "demo")).status_code == 200, "not yet locked"
    await fail_slowly(own_issuer, clock, POLICY.failure_factor)
    wrong = await password_grant(own_issuer, "wrong")

    locked = await password_grant(own_issuer, "demo")

    assert (locked.status_code, locked.json()) == (401, wrong.json())
    assert locked.json()["error"] == "invalid_grant"
    clock.advance(POLICY.wait_increment_s - SLOW)
    assert (await password_grant(own_issuer, "demo")).status_code == 401
    clock.advance(SLOW + 1)
    assert (await password_grant(own_issuer, "demo")).status_code == 200
    # The success forgot the failures: one more wrong password does not lock again.
    await fail_slowly(own_issuer, clock, 1)
    clock.advance(SLOW)
    assert (await password_grant(own_issuer, "demo")).status_code == 200


async def test_two_failures_in_quick_succession_lock_the_user_briefly(
    own_issuer: RunningIdentityProvider, clock: FakeClock
) -> None:
    await password_grant(own_issuer, "wrong")
    clock.advance(POLICY.quick_login_check_ms / 1000 / 2)
    await password_grant(own_issuer, "wrong")

    locked = await password_grant(own_issuer, "demo")
    clock.advance(POLICY.minimum_quick_login_wait_s + 1)
    free = await password_grant(own_issuer, "demo")

    assert locked.status_code == 401 and free.status_code == 200


async def test_a_locked_out_user_on_the_login_form_sees_the_wrong_password_page(
    own_issuer: RunningIdentityProvider, clock: FakeClock
) -> None:
    await fail_slowly(own_issuer, clock, POLICY.failure_factor)
    async with httpx.AsyncClient() as browser:
        page = await own_issuer.sign_in(browser, "coordinator.riverton", "wrong")
        match = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert match
        locked = await browser.post(
            page.url.join(html.unescape(match.group(1))),
            data={"username": "coordinator.riverton", "password": "demo"},
        )

    assert page.status_code == locked.status_code == 200
    assert "location" not in locked.headers
    assert locked.text == page.text, "locked looks exactly like a wrong password"


async def test_the_login_form_counts_failures_too(
    own_issuer: RunningIdentityProvider, clock: FakeClock
) -> None:
    async with httpx.AsyncClient() as browser:
        for _ in range(POLICY.failure_factor):
            clock.advance(SLOW)
            await own_issuer.sign_in(browser, "supervisor.riverton", "wrong")

    assert (await password_grant(own_issuer, "demo", "supervisor.riverton")).status_code == 401
    assert (await password_grant(own_issuer, "demo")).status_code == 200, "per user"


async def test_client_secret_failures_lock_the_client_with_keycloaks_invalid_client(
    own_issuer: RunningIdentityProvider, clock: FakeClock
) -> None:
    async def attempt(secret: str) -> httpx.Response:
        return await own_issuer.request_token(
            {"grant_type": "client_credentials"}, auth=("police-system", secret)
        )

    # Systems retry fast: two quick failures alone do not lock a client.
    for _ in range(2):
        assert (await attempt("guess")).status_code == 401
    assert (await attempt("police-system-secret")).status_code == 200
    for _ in range(POLICY.failure_factor):
        assert (await attempt("guess")).status_code == 401
    wrong = await attempt("guess")

    locked = await attempt("police-system-secret")
    other = await own_issuer.request_token(
        {"grant_type": "client_credentials"}, auth=("school-system", "school-system-secret")
    )
    clock.advance(POLICY.wait_increment_s * 2 + 1)
    free = await attempt("police-system-secret")

    assert (locked.status_code, locked.json()) == (401, wrong.json())
    assert locked.json()["error"] == "invalid_client"
    assert other.status_code == 200, "per client"
    assert free.status_code == 200


@pytest.fixture
async def permanent_issuer(clock: FakeClock) -> AsyncIterator[RunningIdentityProvider]:
    policy = dataclasses.replace(POLICY, permanent_lockout=True)
    realm = dataclasses.replace(REALM, brute_force=policy)
    async with running_identity_provider(realm=realm, clock=clock) as provider:
        yield provider


async def test_with_permanent_lockout_the_user_stays_locked(
    permanent_issuer: RunningIdentityProvider, clock: FakeClock
) -> None:
    await fail_slowly(permanent_issuer, clock, POLICY.failure_factor)
    clock.advance(POLICY.max_failure_wait_s * 10)

    assert (await password_grant(permanent_issuer, "demo")).status_code == 401


def test_the_wait_grows_per_round_of_failures_up_to_the_maximum() -> None:
    clock = FakeClock()
    policy = BruteForcePolicy(
        enabled=True, failure_factor=3, wait_increment_s=60, max_failure_wait_s=150
    )
    detector = BruteForceDetector(policy, clock)

    def locked_for() -> float:
        start, waited = clock.now, 0.0
        while detector.is_locked("u"):
            clock.advance(1)
            waited += 1
        clock.now = start
        return waited

    waits = []
    for _ in range(9):
        clock.advance(5)
        detector.failed("u")
        waits.append(locked_for())

    assert waits == [0, 0, 60, 60, 60, 120, 120, 120, 150]


def test_failures_older_than_max_delta_time_are_forgotten() -> None:
    clock = FakeClock()
    policy = BruteForcePolicy(enabled=True, failure_factor=3, max_delta_time_s=100)
    detector = BruteForceDetector(policy, clock)
    for _ in range(2):
        clock.advance(5)
        detector.failed("u")
    clock.advance(101)
    detector.failed("u")

    assert not detector.is_locked("u")
    clock.advance(5)
    detector.failed("u")
    clock.advance(5)
    detector.failed("u")
    assert detector.is_locked("u")


def test_a_realm_without_brute_force_protection_never_locks() -> None:
    clock = FakeClock()
    detector = BruteForceDetector(BruteForcePolicy(enabled=False), clock)
    for _ in range(100):
        detector.failed("u")

    assert not detector.is_locked("u")
