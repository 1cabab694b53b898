"""Keycloak's redirect-URI matching, as the development issuer applies it."""

from __future__ import annotations

import pytest

from homeward.common.idp.uris import redirect_allowed

CONSOLE = ("http://127.0.0.1:8405/*", "http://localhost:8405/*")


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1:8405/auth/callback",
        "http://127.0.0.1:8405/auth/callback?next=%2Fcases",
        "http://localhost:8405/",
        "http://127.0.0.1:8405",
    ],
)
def test_a_wildcard_matches_everything_under_its_prefix(uri: str) -> None:
    assert redirect_allowed(uri, CONSOLE)


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1:84050/auth/callback",
        "http://127.0.0.1:8405.evil.example/",
        "http://evil.example/?http://127.0.0.1:8405/",
        "http://127.0.0.1:8405@evil.example/",
        "http://127.0.0.1:8405/../x",
        "http://127.0.0.1:8405/%2E%2E/x",
        "http://127.0.0.1:8405/cb#top",
        "javascript:alert(1)//127.0.0.1:8405/",
        "https://127.0.0.1:8405/cb",
        "",
    ],
)
def test_nothing_else_matches(uri: str) -> None:
    assert not redirect_allowed(uri, CONSOLE)


def test_without_a_wildcard_only_the_exact_uri_matches() -> None:
    registered = ["https://console.example/callback"]

    assert redirect_allowed("https://console.example/callback", registered)
    assert not redirect_allowed("https://console.example/callback/", registered)
    assert not redirect_allowed("https://console.example/callback?x=1", registered)
    assert not redirect_allowed("https://console.example/callback", [])
