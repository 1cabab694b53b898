"""The issuer's login page (wrong passwords on an issuer of their own, so that no lockout
reaches other tests): Keycloak's form fields, errors in the page, four languages from
one gettext catalogue per locale, and a page that holds up without script or CDN."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from homeward.common.idp import i18n
from homeward.common.idp.flows import s256
from homeward.common.testing.idp import CONSOLE_CALLBACK, CONSOLE_CLIENT, RunningIdentityProvider

IDP_DIR = Path(i18n.__file__).parent
PARAMS = {
    "client_id": CONSOLE_CLIENT[0],
    "redirect_uri": CONSOLE_CALLBACK,
    "response_type": "code",
    "scope": "openid",
    "code_challenge": s256("v" * 43),
    "code_challenge_method": "S256",
}


def translated(locale: str, message: str) -> str:
    return i18n.translations(locale).gettext(message)


def source_messages() -> set[str]:
    method_map = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
    return {message for _, _, message, *_ in extract_from_dir(IDP_DIR, method_map) if message}


async def open_login(
    provider: RunningIdentityProvider, browser: httpx.AsyncClient, **params: str
) -> httpx.Response:
    headers = (
        {"Accept-Language": params.pop("accept_language")} if "accept_language" in params else {}
    )
    return await browser.get(
        provider.authorization_endpoint, params={**PARAMS, **params}, headers=headers
    )


def form_action(page: httpx.Response) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert match
    return str(page.url.join(html.unescape(match.group(1))))


def test_every_locale_translates_every_message_of_the_login_pages() -> None:
    messages = source_messages()
    assert {"Sign in", "Username", "Password", "Invalid username or password."} <= messages

    for locale in ("ru", "kk", "uz"):
        with (IDP_DIR / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
            catalog = read_po(po, locale=locale)
        translated = {m.id: m.string for m in catalog if m.id}
        assert set(translated) == messages, locale
        for message, translation in translated.items():
            assert translation and translation != message, (locale, message)


async def test_the_login_page_has_keycloaks_fields_labels_and_a_button(
    identity_provider: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as browser:
        page = await open_login(identity_provider, browser)

    text = page.text
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="en">' in text and "<title>" in text and "<h1>" in text
    for field in ("username", "password"):
        assert f'<label for="{field}">' in text
        assert f'id="{field}" name="{field}"' in text
    assert 'type="password"' in text and 'autocomplete="current-password"' in text
    assert '<button type="submit"' in text


async def test_the_page_runs_no_script_and_loads_nothing_from_elsewhere(
    identity_provider: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as browser:
        page = await open_login(identity_provider, browser)
        stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', page.text)
        assert stylesheet
        css = await browser.get(page.url.join(stylesheet.group(1)))

    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "form-action 'self' http://127.0.0.1:8405" in policy
    assert "script" not in policy
    assert "<script" not in page.text and " style=" not in page.text and " on" not in page.text
    assert not re.search(r'(src|href)="(https?:)?//', page.text), "nothing from another origin"
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert page.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("params", "locale", "lang"),
    [
        ({"ui_locales": "ru"}, "ru", "ru"),
        ({"ui_locales": "de kk-KZ"}, "kk", "kk-Cyrl"),
        ({"accept_language": "uz-Latn-UZ,ru;q=0.8"}, "uz", "uz-Latn"),
        ({"accept_language": "de, ru;q=0.5, en;q=0.9"}, "en", "en"),
        ({"accept_language": "fr"}, "en", "en"),
        ({"ui_locales": "uz", "accept_language": "ru"}, "uz", "uz-Latn"),
    ],
)
async def test_the_language_comes_from_ui_locales_else_accept_language(
    params: dict[str, str], locale: str, lang: str, identity_provider: RunningIdentityProvider
) -> None:
    async with httpx.AsyncClient() as browser:
        page = await open_login(identity_provider, browser, **params)

    assert f'<html lang="{lang}">' in page.text
    assert page.headers["content-language"] == lang
    assert f">{translated(locale, 'Sign in')}</button>" in page.text
    assert (locale == "en") == (">Sign in</button>" in page.text)


async def test_a_translated_page_shows_no_english_message(
    identity_provider: RunningIdentityProvider,
) -> None:
    english = source_messages() - {"Error"}  # "Error" is a prefix of other messages
    async with httpx.AsyncClient() as browser:
        page = await open_login(identity_provider, browser, ui_locales="ru")
        failed = await browser.post(
            form_action(page), data={"username": "nobody", "password": "wrong"}
        )

    for rendered in (page, failed):
        body = html.unescape(rendered.text)
        assert not [message for message in english if message in body]
    assert translated("ru", "Invalid username or password.") in html.unescape(failed.text)


async def test_the_switcher_changes_the_language_of_the_open_login(
    identity_provider: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as browser:
        page = await open_login(identity_provider, browser)
        links = dict(re.findall(r'<a href="([^"]+)" lang="([^"]+)"', page.text))
        kazakh = next(href for href, lang in links.items() if lang == "kk-Cyrl")
        switched = await browser.get(page.url.join(html.unescape(kazakh)))
        answer = await browser.post(
            form_action(switched), data={"username": "auditor", "password": "demo"}
        )

    assert set(links.values()) == {"ru", "kk-Cyrl", "uz-Latn"}, "every other language"
    assert 'aria-current="true" lang="en"' in page.text
    assert '<html lang="kk-Cyrl">' in switched.text
    assert f">{translated('kk', 'Sign in')}</button>" in switched.text
    assert answer.status_code == 303, "the login still works after switching"


async def test_a_wrong_password_is_shown_in_the_page_with_the_username_kept(
    own_issuer: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as browser:
        page = await open_login(own_issuer, browser)
        failed = await browser.post(
            form_action(page), data={"username": "supervisor.riverton", "password": "guess"}
        )

    assert failed.status_code == 200 and "location" not in failed.headers
    assert 'role="alert"' in failed.text and '<a href="#username">' in failed.text
    assert 'value="supervisor.riverton"' in failed.text
    assert "guess" not in failed.text, "the password is never echoed"
    assert 'aria-invalid="true" aria-describedby="username-error"' in failed.text
    assert "<title>Error: Sign in" in failed.text


async def test_a_login_form_posted_from_another_browser_is_refused(
    identity_provider: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as victim, httpx.AsyncClient() as attacker:
        page = await open_login(identity_provider, victim)
        posted = await attacker.post(
            form_action(page), data={"username": "auditor", "password": "demo"}
        )

    assert posted.status_code == 400 and "location" not in posted.headers


async def test_an_unknown_user_and_a_wrong_password_look_the_same(
    own_issuer: RunningIdentityProvider,
) -> None:
    async with httpx.AsyncClient() as browser:
        page = await open_login(own_issuer, browser)
        wrong = await browser.post(
            form_action(page), data={"username": "admin", "password": "guess"}
        )
        unknown = await browser.post(
            form_action(page), data={"username": "admin2", "password": "guess"}
        )

    strip = re.compile(r'value="[^"]*"|tab_id=[^"&]+')
    assert wrong.status_code == unknown.status_code == 200
    assert strip.sub("", wrong.text) == strip.sub("", unknown.text)
