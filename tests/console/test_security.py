"""What a browser holds and what it may do: no token ever reaches it, forms from another
site are refused, every response carries the policy, and another municipality's case by URL
is "not found"."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import expect

from tests.console.browser import new_context
from tests.console.conftest import sign_in
from tests.e2e.stack import RunningStack

pytestmark = pytest.mark.stack
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.")


async def demo_case_id(stack: RunningStack, code: str) -> str:
    token = await stack.user_token("coordinator.riverton")
    async with httpx.AsyncClient(timeout=10) as http:
        found = await http.get(f"{stack.service_url('intake')}/v1/cases/by-code/{code}",
                               headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    return found.json()["id"]


async def test_nothing_token_like_reaches_the_browser(
    stack: RunningStack, browser, demo_code: str
) -> None:
    context = await new_context(browser, locale="en-GB")
    page = await context.new_page()
    await sign_in(page, stack, "coordinator.riverton")
    case_id = await demo_case_id(stack, demo_code)
    bodies, policies = [], []
    paths = ["/", "/find", "/cases", f"/cases/{case_id}", "/referrals", "/notifications", "/x"]
    for path in paths:
        response = await page.goto(stack.console_url + path)
        assert response is not None
        await expect(page.locator("h1")).to_be_visible()
        bodies.append(await page.content())
        policies.append((await response.all_headers()).get("content-security-policy"))
    async with httpx.AsyncClient() as http:  # assets, redirects and probes carry it too
        for path in ("/static/none/console.css", "/login", "/healthz", "/live/unread"):
            answer = await http.get(stack.console_url + path)
            policies.append(answer.headers.get("content-security-policy"))
    cookies = [c for c in await context.cookies() if c["domain"] == "127.0.0.1"]
    session = [c for c in cookies if c["name"] == "homeward_session"]
    assert session and all(c["httpOnly"] and c["sameSite"] == "Lax" for c in session)
    assert await page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert await page.evaluate("document.cookie") == ""
    assert len(bodies) == len(paths) and not [b for b in bodies if JWT.search(b)]
    assert all(p and "script-src 'self'" in p and "'unsafe-inline'" not in p for p in policies)

    # Another site's form, posted with this browser's cookie, is refused before any route.
    await page.goto(stack.service_url("intake") + "/healthz")  # another origin (port)
    refused = await page.evaluate(
        """async (url) => (await fetch(url, {method: 'POST', credentials: 'include',
             mode: 'no-cors', body: new URLSearchParams({locale: 'ru'})})).status""",
        stack.console_url + "/language",
    )
    assert refused == 0  # opaque to the other site; the server side is checked below
    async with httpx.AsyncClient(cookies={"homeward_session": session[0]["value"]}) as http:
        cross = await http.post(stack.console_url + "/logout",
                                headers={"Sec-Fetch-Site": "cross-site"}, data={})  # fmt: skip
        assert cross.status_code == 403
        forged = await http.post(stack.console_url + "/logout", data={"csrf_token": "guess"})
        assert forged.status_code == 403
        still = await http.get(stack.console_url + "/")
        assert still.status_code == 200  # neither post ended the session
    await context.close()


async def test_another_municipalitys_case_by_url_is_not_found(
    stack: RunningStack, browser, demo_code: str
) -> None:
    case_id = await demo_case_id(stack, demo_code)
    context = await new_context(browser, locale="en-GB")
    page = await context.new_page()
    await sign_in(page, stack, "coordinator.lakeside")
    response = await page.goto(f"{stack.console_url}/cases/{case_id}")
    assert response is not None and response.status == 404
    # In the user's language (the realm gives coordinator.lakeside Russian).
    await expect(page.locator("h1")).to_have_text(re.compile("^(Not found|Не найдено)$"))
    assert demo_code not in await page.content()
    response = await page.goto(f"{stack.console_url}/find?code={demo_code}")
    assert response is not None and response.status == 404
    await context.close()
