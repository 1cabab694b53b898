"""The core actions as plain form posts, in a Chromium with JavaScript switched off: a
coordinator signs in, finds a family by its code, records an assessment and sends a referral
to a school; the school signs in and accepts it. axe-core on every page on the way."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.console.browser import assert_accessible_as_served, new_context
from tests.console.conftest import sign_in
from tests.console.partners import COORDINATOR, Api
from tests.e2e.journey import eventually
from tests.e2e.stack import RunningStack

pytestmark = pytest.mark.stack
SCHOOL = "riverton-primary-school"


async def without_script(browser) -> Page:  # type: ignore[no-untyped-def]
    context = await new_context(browser, locale="en-GB", javascript=False)
    return await context.new_page()


async def reached_the_school(api: Api, referral_id: str) -> bool:
    return await api.state(referral_id) == "requested"


async def test_a_referral_made_sent_and_accepted_by_form_posts_alone(
    stack: RunningStack, browser
) -> None:
    api = Api(stack)
    family = await api.family()
    await api.issue(family.child)  # nothing will block the referral: it can go out at once

    page = await without_script(browser)
    await sign_in(page, stack, COORDINATOR)
    await assert_accessible_as_served(page)

    await page.locator('header a[href="/find"]').click()
    await page.fill("#code", family.code.lower().replace("-", ""))
    await page.locator("main form button").click()
    await page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}$"))
    await expect(page.locator("h1")).to_have_text(family.code)
    await assert_accessible_as_served(page)

    child = page.locator("section.person", has_text="2015")
    await child.locator('a[href$="/assessment"]').click()
    await page.select_option("#level-education", "high")
    await page.locator("main form button[type=submit]").click()
    await expect(page.locator(".notification-banner")).to_contain_text(
        "The assessment was recorded."
    )
    await assert_accessible_as_served(page)

    await child.locator('a[href*="/refer?person="]').click()
    await page.select_option("#category", "school-enrolment")
    await page.locator('main form[method="get"] button').click()  # "Show agencies": a GET
    await page.locator(f'input[name="agency"][value="{SCHOOL}"]').check()
    await page.fill("#reason", "Enrolment in the next school year")
    await page.locator('input[name="disclose"][value="education"]').check()
    await assert_accessible_as_served(page)
    await page.locator('main form[method="post"] button[type=submit]').click()
    await page.wait_for_url(re.compile(r"/referrals/[0-9a-f-]{36}"))
    await expect(page.locator("#gates")).to_have_text("Nothing blocks this referral.")
    referral_id = page.url.split("/referrals/")[1].split("?")[0]
    await page.locator("#referral-status form button").click()
    await expect(page.locator(".notification-banner")).to_contain_text("The referral was sent.")
    await assert_accessible_as_served(page)
    await page.context.close()
    await eventually(lambda: reached_the_school(api, referral_id), what="sent to the school")

    # The school, without JavaScript too, finds it among its incoming referrals and accepts.
    page = await without_script(browser)
    await sign_in(page, stack, "school.riverton")
    card = page.locator(".card", has_text=family.code)
    await expect(card).to_be_visible()
    await assert_accessible_as_served(page)
    await card.locator("a").click()
    await page.locator("#do-accept").click()
    await expect(page.locator(".notification-banner")).to_contain_text("Accepted")
    await assert_accessible_as_served(page)
    assert await api.state(referral_id) == "accepted"
    await page.context.close()
