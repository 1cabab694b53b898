"""The page's script in Chromium, with Playwright's clock instead of real minutes: the idle
warning on shared computers (accessible, "Stay signed in" renews on the server and restarts
the page's timers, the timeout signs out here and at the identity provider), and the live
home page (its cards and the unread badge follow a notification without reload, through the
event stream and, without EventSource or when the stream is refused, by polling)."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.console.browser import assert_accessible, new_context
from tests.console.conftest import sign_in
from tests.console.partners import COORDINATOR, Api
from tests.e2e.journey import eventually
from tests.e2e.stack import RunningStack

pytestmark = pytest.mark.stack
# The console's defaults (settings.py): signed out after 15 minutes idle, warned 2 before;
# the page signs out 10 seconds early, so that the identity provider's session ends too.
BEFORE_WARNING, PAST_WARNING, PAST_TIMEOUT = "12:50", "00:11", "02:00"


async def test_the_idle_warning_stay_signed_in_and_the_timeout(
    stack: RunningStack, browser
) -> None:
    context = await new_context(browser, locale="en-GB")
    page = await context.new_page()
    await page.clock.install()
    await sign_in(page, stack, "coordinator.riverton")
    dialog = page.locator("#idle-dialog")
    stay = dialog.get_by_role("button", name="Stay signed in")

    await page.clock.fast_forward(BEFORE_WARNING)
    await expect(dialog).to_be_hidden()
    await page.clock.fast_forward(PAST_WARNING)
    await expect(dialog).to_be_visible()
    await expect(stay).to_be_focused()  # the focus moved into the dialog
    await assert_accessible(page)

    # Escape means "stay signed in": the server renews the session, the page its timers.
    async with page.expect_response("**/session/keep-alive") as kept:
        await page.keyboard.press("Escape")
    assert (await kept.value).status == 200
    await expect(dialog).to_be_hidden()
    # Past the first timeout now: only restarted timers keep the page here.
    await page.clock.fast_forward(BEFORE_WARNING)
    await expect(dialog).to_be_hidden()
    assert page.url == stack.console_url + "/"
    await page.clock.fast_forward(PAST_WARNING)
    await expect(dialog).to_be_visible()
    async with page.expect_response("**/session/keep-alive") as kept:
        await stay.click()
    assert (await kept.value).status == 200
    await expect(dialog).to_be_hidden()

    # Nobody answers the next warning: signed out, here and at the identity provider.
    cookie = next(c for c in await context.cookies() if c["name"] == "homeward_session")
    await page.clock.fast_forward(BEFORE_WARNING)
    await page.clock.fast_forward(PAST_WARNING)
    await expect(dialog).to_be_visible()
    await page.clock.fast_forward(PAST_TIMEOUT)
    await page.wait_for_url(re.compile(re.escape(stack.console_url) + r"/signed-out\?idle=true"))
    await expect(page.locator("h1")).to_have_text("You were signed out")
    await assert_accessible(page)
    async with httpx.AsyncClient(cookies={"homeward_session": cookie["value"]}) as http:
        again = await http.get(stack.console_url + "/")
    assert again.status_code == 303 and again.headers["location"].startswith("/login")
    # The next person at this computer meets the identity provider's sign-in page.
    await page.locator("main a[href='/login']").click()
    await expect(page.locator("#username")).to_be_visible()
    await context.close()


async def accepted_referral_to_come(api: Api) -> str:
    """A referral the school has yet to accept; returns its id."""
    family = await api.family()
    await api.issue(family.child)
    referral = await api.refer(family, family.child, "riverton-primary-school",
                               "school-enrolment", ["education"])  # fmt: skip

    async def sent() -> bool:
        return await api.state(referral["id"]) == "requested"

    await eventually(sent, what="the referral reached the school")
    return referral["id"]


async def unread(api: Api) -> int:
    answer = await api.call(COORDINATOR, "notifications", "GET", "/v1/notifications/unread-count")
    return int(answer["unread"])


async def open_home(page: Page) -> tuple[str, str]:
    """The home page, marked so a reload would show; its unread badge and card count."""
    await page.evaluate("window.__notReloaded = true")
    badge = await page.locator("header [data-unread-badge]").text_content()
    count = await page.locator("#today #card-unread + .card__count").text_content()
    return badge or "", count or ""


async def assert_followed(page: Page, badge: str, count: str) -> None:
    await expect(page.locator("header [data-unread-badge]")).not_to_have_text(badge)
    await expect(page.locator("#today #card-unread + .card__count")).not_to_have_text(count)
    assert await page.evaluate("window.__notReloaded === true")


async def test_the_home_page_follows_a_notification_through_the_stream(
    stack: RunningStack, browser
) -> None:
    api = Api(stack)
    referral = await accepted_referral_to_come(api)
    context = await new_context(browser, locale="en-GB")
    page = await context.new_page()
    await sign_in(page, stack, COORDINATOR)
    badge, count = await open_home(page)
    await api.call("school.riverton", "referrals", "POST", f"/v1/referrals/{referral}/accept",
                   json={})  # fmt: skip
    await assert_followed(page, badge, count)
    await assert_accessible(page)
    await context.close()


@pytest.mark.parametrize("stream", ["no EventSource", "stream refused"])
async def test_without_the_stream_the_home_page_polls(
    stack: RunningStack, browser, stream: str
) -> None:
    """A browser without EventSource, or a proxy that refuses the stream (the browser does
    not retry a refused one): the page polls instead."""
    api = Api(stack)
    referral = await accepted_referral_to_come(api)
    context = await new_context(browser, locale="en-GB")
    if stream == "no EventSource":
        await context.add_init_script("delete window.EventSource")
    else:
        await context.route("**/live/stream", lambda route: route.fulfill(status=502))
    page = await context.new_page()
    await page.clock.install()
    await sign_in(page, stack, COORDINATOR)
    badge, count = await open_home(page)
    before = await unread(api)
    await api.call("school.riverton", "referrals", "POST", f"/v1/referrals/{referral}/accept",
                   json={})  # fmt: skip

    async def notified() -> bool:
        return await unread(api) > before

    await eventually(notified, what="the coordinator was notified of the answer")
    await page.clock.fast_forward("01:00")  # the polling interval
    await assert_followed(page, badge, count)
    await context.close()
