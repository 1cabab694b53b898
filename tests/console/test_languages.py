"""Every page of the coordinator's work in Kazakh and Uzbek too: axe-core finds no WCAG 2.2
A/AA violation, and no raw code or English message is left (the journey covers en and ru).
The language is chosen with the header's switcher, which beats the browser's languages."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.console.browser import assert_accessible, assert_translated, new_context
from tests.console.conftest import sign_in
from tests.console.messages import english_messages
from tests.console.test_security import demo_case_id
from tests.e2e.stack import RunningStack

pytestmark = pytest.mark.stack
LANGUAGE_BUTTON = {"kk": "Қазақша", "uz": "Oʻzbekcha"}


async def visit(page: Page, url: str, locale: str) -> None:
    await page.goto(url)
    await expect(page.locator("h1")).to_be_visible()
    await assert_accessible(page)
    await assert_translated(page, locale, english_messages())


@pytest.mark.parametrize("locale", ["kk", "uz"])
async def test_every_page_in_kazakh_and_uzbek(
    stack: RunningStack, browser, demo_code: str, locale: str
) -> None:
    context = await new_context(browser, locale="en-GB")
    page = await context.new_page()
    await sign_in(page, stack, "coordinator.riverton")
    await page.get_by_role("button", name=LANGUAGE_BUTTON[locale]).click()
    await expect(page.locator("html")).to_have_attribute("lang", locale)
    base = stack.console_url
    case_id = await demo_case_id(stack, demo_code)
    await visit(page, f"{base}/cases/{case_id}", locale)
    person = await page.locator('a[href$="/assessment"]').first.get_attribute("href")
    assert person is not None
    person_path = person.removesuffix("/assessment")
    person_id = person_path.rsplit("/", 1)[1]
    pages = [
        "/", "/find", "/find?code=nonsense", "/cases", "/cases?mine=true&status=all",
        "/referrals?show=all", "/referrals?show=overdue", "/expiring", "/notifications",
        f"{person_path}/assessment",
        f"{person_path}/consent", f"{person_path}/identity", f"/cases/{case_id}/transfer",
        f"/cases/{case_id}/close", f"/cases/{case_id}/refer",
        f"/cases/{case_id}/refer?person={person_id}&category=school-enrolment",
        "/cases/00000000-0000-0000-0000-000000000000", "/signed-out",
    ]  # fmt: skip
    for path in pages:
        await visit(page, base + path, locale)
    # A form sent back with errors: the summary links to each field, in the language.
    await page.goto(f"{base}{person_path}/assessment")
    await page.fill("#assessed_on-day", "31")
    await page.fill("#assessed_on-month", "2")
    await page.locator("main form button[type=submit]").click()
    summary = page.locator(".error-summary")
    await expect(summary).to_be_visible()
    assert await summary.locator('a[href="#assessed_on"]').count() == 1
    assert await summary.locator('a[href="#level-basic-needs"]').count() == 1
    assert await page.input_value("#assessed_on-day") == "31"  # what was typed is kept
    await assert_accessible(page)
    await assert_translated(page, locale, english_messages())
    await context.close()


async def test_the_referral_form_by_keyboard_alone(
    stack: RunningStack, browser, demo_code: str
) -> None:
    context = await new_context(browser, locale="en-GB")
    page = await context.new_page()
    await sign_in(page, stack, "coordinator.riverton")
    case_id = await demo_case_id(stack, demo_code)
    await page.goto(f"{stack.console_url}/cases/{case_id}/refer")

    async def tab_to(selector: str) -> None:
        for _ in range(60):
            await page.keyboard.press("Tab")
            if await page.evaluate(f"document.activeElement.matches({selector!r})"):
                return
        raise AssertionError(f"{selector} cannot be reached with Tab")

    await tab_to("#person")
    await page.keyboard.press("ArrowDown")  # the first person
    await tab_to("#category")
    for _ in range(4):  # basic needs, health care, mental health, school enrolment
        await page.keyboard.press("ArrowDown")
    assert await page.input_value("#category") == "school-enrolment"
    await tab_to('main form[method="get"] button')
    await page.keyboard.press("Enter")
    await expect(page.locator("#agency")).to_be_visible()
    await tab_to("#agency")
    await page.keyboard.press("Space")
    await tab_to("#reason")
    await page.keyboard.type("Enrolment for the coming school year")
    await tab_to('input[name="disclose"][value="education"]')
    await page.keyboard.press("Space")
    await tab_to('main form[method="post"] button[type=submit]')
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"/referrals/[0-9a-f-]{36}"))
    await expect(page.locator("#referral-status")).to_be_visible()
    await tab_to("#referral-status form button")  # and sending is one key away
    await context.close()


async def test_registering_a_family_in_the_browser(stack: RunningStack, browser) -> None:
    """Persons, a guardian and an identity, without JavaScript's help: rows are plain fields."""
    context = await new_context(browser, locale="en-GB")
    page = await context.new_page()
    await sign_in(page, stack, "coordinator.riverton")
    await page.goto(stack.console_url + "/cases/new")
    await assert_accessible(page)
    await page.fill("#return_operation", "Autumn return")
    await page.locator("#placement").check()
    await page.select_option("#role-1", "mother")
    await page.fill("#born-1", "1990")
    await page.select_option("#sex-1", "female")
    await page.fill("#name-1", "Test Mother (made up)")
    await page.select_option("#role-2", "child")
    await page.fill("#born-2", "20l5")  # a typo: the form answers, keeping what was typed
    await page.select_option("#guardian-2", "1")
    await page.locator("main form button[type=submit]").click()
    await expect(page.locator('.error-summary a[href="#born-2"]')).to_be_visible()
    assert await page.input_value("#name-1") == "Test Mother (made up)"
    await assert_accessible(page)
    await page.fill("#born-2", "2015")
    await page.locator("main form button[type=submit]").click()
    await page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}\?done=registered"))
    await expect(page.locator("table.table tbody tr")).to_have_count(2)
    assert "Test Mother" not in await page.content()  # the identity is never shown back
    await context.close()
