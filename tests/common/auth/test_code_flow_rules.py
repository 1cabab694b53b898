"""The authorization code flow's rules, one by one: PKCE, redirect URIs, single-use codes,
prompt, SSO session lifespans, refresh rotation, logout, userinfo."""

from __future__ import annotations

import base64
import html
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from homeward.common.idp.flows import s256
from homeward.common.testing.clock import FakeClock
from homeward.common.testing.idp import CONSOLE_CALLBACK, CONSOLE_CLIENT, RunningIdentityProvider

VERIFIER = "a-verifier-of-the-required-length-0123456789"


def query_of(response: httpx.Response) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def form_action(page: httpx.Response) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def auth_params(**overrides: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "client_id": CONSOLE_CLIENT[0],
        "redirect_uri": CONSOLE_CALLBACK,
        "response_type": "code",
        "scope": "openid",
        "state": "s-1",
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
        **overrides,
    }
    return {k: v for k, v in params.items() if v is not None}


async def exchange(
    provider: RunningIdentityProvider, code: str, **overrides: str
) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CONSOLE_CALLBACK,
        "code_verifier": VERIFIER,
        **overrides,
    }
    return await provider.request_token(form, auth=CONSOLE_CLIENT)


async def signed_in(provider: RunningIdentityProvider, browser: httpx.AsyncClient) -> str:
    answer = await provider.sign_in(browser, "coordinator.riverton", code_verifier=VERIFIER)
    # 303 after the login form; 302 straight away once the browser has an SSO session.
    assert answer.status_code in (302, 303), answer.text
    return query_of(answer)["code"]


@pytest.mark.parametrize(
    ("redirect_uri", "why"),
    [
        ("http://127.0.0.1:8406/auth/callback", "another port"),
        ("http://evil.example/auth/callback", "another host"),
        ("http://127.0.0.1:8405@evil.example/cb", "user info"),
        ("http://127.0.0.1:8405/a/../../evil", "dot segments"),
        ("http://127.0.0.1:8405/cb#fragment", "a fragment"),
        (None, "none at all"),
    ],
)
async def test_a_redirect_uri_the_client_did_not_register_gets_a_page_not_a_redirect(
    redirect_uri: str | None, why: str, identity_provider: RunningIdentityProvider
) -> None:
    async with httpx.AsyncClient() as browser:
        response = await browser.get(
            identity_provider.authorization_endpoint, params=auth_params(redirect_uri=redirect_uri)
        )

    assert response.status_code == 400, why
    assert "location" not in response.headers
    assert "does not accept" in response.text


async def test_an_unknown_client_gets_a_page(identity_provider: RunningIdentityProvider) -> None:
    async with httpx.AsyncClient() as browser:
        response = await browser.get(
            identity_provider.authorization_endpoint, params=auth_params(client_id="nobody")
        )

    assert response.status_code == 400 and "location" not in response.headers


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "openid microprofile-jwt"}, "invalid_scope"),
        ({"prompt": "none"}, "login_required"),
    ],
)
async def test_a_bad_authorization_request_goes_back_to_the_client_with_the_error(
    overrides: dict[str, str | None], error: str, identity_provider: RunningIdentityProvider
) -> None:
    async with httpx.AsyncClient() as browser:
        response = await browser.get(
            identity_provider.authorization_endpoint, params=auth_params(**overrides)
        )

    assert response.status_code == 302
    assert response.headers["location"].startswith(CONSOLE_CALLBACK + "?")
    assert query_of(response)["error"] == error
    assert query_of(response)["state"] == "s-1"
    assert "code" not in query_of(response)


async def test_a_client_without_the_standard_flow_cannot_start_a_browser_login(
    identity_provider: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as browser:
        response = await browser.get(
            identity_provider.authorization_endpoint,
            params=auth_params(client_id="homeward-demo"),
        )

    # homeward-demo registers no redirect URI at all, so the answer is a page.
    assert response.status_code == 400 and "location" not in response.headers


async def test_the_code_needs_the_right_verifier_client_and_redirect_uri(
    identity_provider: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as browser:
        wrong_verifier = await exchange(
            identity_provider, await signed_in(identity_provider, browser), code_verifier="x" * 43
        )
        no_verifier = await exchange(
            identity_provider, await signed_in(identity_provider, browser), code_verifier=""
        )
        other_uri = await exchange(
            identity_provider,
            await signed_in(identity_provider, browser),
            redirect_uri="http://127.0.0.1:8405/other",
        )
        wrong_secret = await identity_provider.request_token(
            {
                "grant_type": "authorization_code",
                "code": await signed_in(identity_provider, browser),
                "redirect_uri": CONSOLE_CALLBACK,
                "code_verifier": VERIFIER,
            },
            auth=(CONSOLE_CLIENT[0], "not-the-secret"),
        )

    for response in (wrong_verifier, no_verifier, other_uri):
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"


async def test_a_code_is_good_once_and_a_replay_revokes_what_it_got(
    identity_provider: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as browser:
        code = await signed_in(identity_provider, browser)
    first = await exchange(identity_provider, code)
    replay = await exchange(identity_provider, code)
    refresh = await identity_provider.request_token(
        {"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"]},
        auth=CONSOLE_CLIENT,
    )

    assert first.status_code == 200
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"


async def test_a_code_expires_after_the_realms_access_code_lifespan(
    own_issuer: RunningIdentityProvider, clock: FakeClock
) -> None:
    async with httpx.AsyncClient() as browser:
        code = await signed_in(own_issuer, browser)
    clock.advance(own_issuer.realm.lifespans.access_code + 1)

    response = await exchange(own_issuer, code)

    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_prompt_login_asks_for_the_password_despite_the_sso_session(
    identity_provider: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as browser:
        await signed_in(identity_provider, browser)
        silent = await browser.get(
            identity_provider.authorization_endpoint, params=auth_params(prompt="none")
        )
        forced = await browser.get(
            identity_provider.authorization_endpoint, params=auth_params(prompt="login")
        )

    assert silent.status_code == 302 and "code" in query_of(silent)
    assert forced.status_code == 200 and 'name="password"' in forced.text


async def test_the_sso_session_ends_when_idle_and_refresh_tokens_with_it(
    own_issuer: RunningIdentityProvider, clock: FakeClock
) -> None:
    idle = own_issuer.realm.lifespans.sso_idle
    async with httpx.AsyncClient() as browser:
        tokens = (await exchange(own_issuer, await signed_in(own_issuer, browser))).json()
        assert tokens["refresh_expires_in"] == idle
        clock.advance(idle - 10)
        refreshed = await own_issuer.request_token(
            {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=CONSOLE_CLIENT,
        )
        assert refreshed.status_code == 200, "activity within the idle timeout keeps it"
        clock.advance(idle + 1)
        expired = await own_issuer.request_token(
            {"grant_type": "refresh_token", "refresh_token": refreshed.json()["refresh_token"]},
            auth=CONSOLE_CLIENT,
        )
        page = await browser.get(own_issuer.authorization_endpoint, params=auth_params())

    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"
    assert page.status_code == 200 and 'name="password"' in page.text


async def test_the_sso_session_ends_at_its_maximum_lifespan_even_when_busy(
    own_issuer: RunningIdentityProvider, clock: FakeClock
) -> None:
    lifespans = own_issuer.realm.lifespans
    async with httpx.AsyncClient() as browser:
        token = (await exchange(own_issuer, await signed_in(own_issuer, browser))).json()
    step = lifespans.sso_idle - 60
    for _ in range(lifespans.sso_max // step + 1):
        clock.advance(step)
        response = await own_issuer.request_token(
            {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
            auth=CONSOLE_CLIENT,
        )
        if response.status_code != 200:
            break
        token = response.json()
        assert token["refresh_expires_in"] <= lifespans.sso_idle

    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_a_refresh_token_is_rotated_and_good_once_and_only_for_its_client(
    identity_provider: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as browser:
        tokens = (
            await exchange(identity_provider, await signed_in(identity_provider, browser))
        ).json()
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    other_client = await identity_provider.request_token(
        form, auth=("police-system", "police-system-secret")
    )
    first = await identity_provider.request_token(form, auth=CONSOLE_CLIENT)
    second = await identity_provider.request_token(form, auth=CONSOLE_CLIENT)

    assert other_client.status_code == 400
    assert first.status_code == 200 and first.json()["id_token"]
    assert first.json()["refresh_token"] != tokens["refresh_token"]
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"


async def test_logout_refuses_an_unregistered_post_logout_redirect_uri(
    identity_provider: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as browser:
        tokens = (
            await exchange(identity_provider, await signed_in(identity_provider, browser))
        ).json()
        response = await browser.get(
            identity_provider.logout_endpoint,
            params={
                "id_token_hint": tokens["id_token"],
                "post_logout_redirect_uri": "http://evil.example/",
            },
        )
        still_signed_in = await browser.get(
            identity_provider.authorization_endpoint, params=auth_params()
        )

    assert response.status_code == 400 and "location" not in response.headers
    assert still_signed_in.status_code == 302


async def test_logout_without_a_hint_asks_first_then_ends_the_browsers_session(
    identity_provider: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as browser:
        await signed_in(identity_provider, browser)
        asked = await browser.get(identity_provider.logout_endpoint)
        assert await browser.get(identity_provider.authorization_endpoint, params=auth_params())
        confirmed = await browser.post(identity_provider.logout_endpoint, data={"confirm": "yes"})
        after = await browser.get(identity_provider.authorization_endpoint, params=auth_params())

    assert asked.status_code == 200 and 'name="confirm"' in asked.text
    assert confirmed.status_code == 200
    assert after.status_code == 200 and 'name="password"' in after.text


async def test_logout_with_a_forged_hint_is_refused(
    identity_provider: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as browser:
        response = await browser.get(
            identity_provider.logout_endpoint, params={"id_token_hint": "not.a.token"}
        )

    assert response.status_code == 400


async def test_userinfo_needs_a_live_token_with_the_openid_scope(
    identity_provider: RunningIdentityProvider,
) -> None:
    without_openid = await identity_provider.password_token("coordinator.riverton")
    async with httpx.AsyncClient() as http:
        missing = await http.get(identity_provider.userinfo_endpoint)
        forged = await http.get(
            identity_provider.userinfo_endpoint, headers={"Authorization": "Bearer x.y.z"}
        )
        no_scope = await http.get(
            identity_provider.userinfo_endpoint,
            headers={"Authorization": f"Bearer {without_openid}"},
        )

    assert missing.status_code == 401 and forged.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert no_scope.status_code == 403 and no_scope.json()["error"] == "insufficient_scope"


async def test_the_password_and_client_credentials_grants_give_an_id_token_for_openid(
    identity_provider: RunningIdentityProvider,
) -> None:
    password = await identity_provider.request_token(
        {
            "grant_type": "password",
            "client_id": "homeward-demo",
            "username": "auditor",
            "password": "demo",
            "scope": "openid",
        }
    )
    service = await identity_provider.request_token(
        {"grant_type": "client_credentials", "scope": "openid"},
        auth=("school-system", "school-system-secret"),
    )
    plain = await identity_provider.request_token(
        {"grant_type": "client_credentials"}, auth=("school-system", "school-system-secret")
    )

    assert password.json()["id_token"] and password.json()["refresh_token"]
    assert service.json()["id_token"] and "refresh_token" not in service.json()
    assert "id_token" not in plain.json()


async def test_two_login_tabs_of_one_browser_both_work(
    identity_provider: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as browser:
        first = await browser.get(identity_provider.authorization_endpoint, params=auth_params())
        second = await browser.get(
            identity_provider.authorization_endpoint, params=auth_params(state="s-2")
        )
        answers = [
            await browser.post(
                page.url.join(html.unescape(form_action(page))),
                data={"username": "auditor", "password": "demo"},
            )
            for page in (first, second)
        ]

    assert [answer.status_code for answer in answers] == [303, 303]
    assert [query_of(answer)["state"] for answer in answers] == ["s-1", "s-2"]


async def test_a_login_page_left_open_too_long_times_out(
    own_issuer: RunningIdentityProvider, clock: FakeClock
) -> None:
    async with httpx.AsyncClient() as browser:
        page = await browser.get(own_issuer.authorization_endpoint, params=auth_params())
        clock.advance(own_issuer.realm.lifespans.login + 1)
        late = await browser.post(
            page.url.join(html.unescape(form_action(page))),
            data={"username": "auditor", "password": "demo"},
        )

    assert late.status_code == 400 and "location" not in late.headers
    assert "timed out" in late.text


async def test_acr_says_whether_the_password_or_the_sso_cookie_signed_in(
    identity_provider: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as browser:
        typed = await exchange(identity_provider, await signed_in(identity_provider, browser))
        silent = await exchange(identity_provider, await signed_in(identity_provider, browser))

    assert claims_of(typed.json()["access_token"])["acr"] == "1"
    assert claims_of(typed.json()["id_token"])["acr"] == "1"
    assert claims_of(silent.json()["access_token"])["acr"] == "0"


async def test_max_age_asks_again_for_an_older_authentication(
    own_issuer: RunningIdentityProvider, clock: FakeClock
) -> None:
    async with httpx.AsyncClient() as browser:
        await signed_in(own_issuer, browser)
        clock.advance(120)
        recent_enough = await browser.get(
            own_issuer.authorization_endpoint, params=auth_params(max_age="300")
        )
        too_old = await browser.get(
            own_issuer.authorization_endpoint, params=auth_params(max_age="60")
        )
        silent_too_old = await browser.get(
            own_issuer.authorization_endpoint, params=auth_params(max_age="60", prompt="none")
        )

    assert recent_enough.status_code == 302 and "code" in query_of(recent_enough)
    assert too_old.status_code == 200 and 'name="password"' in too_old.text
    assert query_of(silent_too_old)["error"] == "login_required"


async def test_the_authorization_endpoint_takes_a_form_post_too(
    identity_provider: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as browser:
        page = await browser.post(identity_provider.authorization_endpoint, data=auth_params())

    assert page.status_code == 200 and 'name="username"' in page.text
