"""The auditor in Chromium, in English then in Russian: the school's reveal of a child's
name is found in the merged trail of the services by agency and case code, with its
purpose; the CSV export has the same entry, a column naming the service, and no name. The
school's email opt-in is in notifications' trail, without the address."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.console.browser import new_context
from tests.console.conftest import sign_in
from tests.console.partners import CHILD_NAME, Api
from tests.console.test_partner import check, sent
from tests.e2e.journey import eventually
from tests.e2e.stack import RunningStack

pytestmark = pytest.mark.stack
SCHOOL, AGENCY = "school.riverton", "riverton-primary-school"
ADDRESS = "office@school.riverton.example"


async def test_the_auditor_finds_the_schools_reveal(stack: RunningStack, browser) -> None:
    api = Api(stack)
    family = await api.family()
    await api.issue(family.child)
    referral = await api.refer(family, family.child, AGENCY, "school-enrolment", ["identity"])
    await eventually(lambda: sent(api, referral["id"]), what="the referral reached the school")
    await api.call(SCHOOL, "referrals", "POST", f"/v1/referrals/{referral['id']}/accept", json={})

    async def revealed() -> bool:
        try:
            path = f"/v1/agency/persons/{family.child}/identity?purpose=referral"
            await api.call(SCHOOL, "intake", "GET", path)
        except AssertionError:  # 404 until intake has seen the acceptance
            return False
        return True

    await eventually(revealed, what="the school may reveal the child's identity")
    await api.call(SCHOOL, "notifications", "PUT", "/v1/me/email", json={"address": ADDRESS})

    context = await new_context(browser, locale="en-GB")
    page = await context.new_page()
    await sign_in(page, stack, "auditor")
    await expect(page.locator("h1")).to_have_text("Audit trail")
    await check(page)
    await page.fill("#agency_id", AGENCY)
    await page.fill("#case_code", family.code.lower())
    await page.locator("#filters button").click()
    entry = page.locator("#trail tbody tr", has_text="identity.read")
    await expect(entry).to_contain_text("A referral")
    await expect(entry).to_contain_text("intake")
    await expect(page.locator("#trail")).not_to_contain_text(CHILD_NAME)
    await check(page)

    export = await page.request.get(
        stack.console_url + await page.locator("a[download]").get_attribute("href")
    )
    assert export.status == 200 and export.headers["content-type"].startswith("text/csv")
    text = await export.text()
    assert text.startswith("service,id,at,actor")
    assert any(line.startswith("intake,") and "identity.read" in line and family.code in line
               for line in text.splitlines())  # fmt: skip
    assert CHILD_NAME not in text

    # The agency's every act, in any service: its opt-in to email is notifications'.
    await page.fill("#case_code", "")
    await page.locator("#filters button").click()
    opted_in = page.locator("#trail tbody tr", has_text="email.opted_in").first
    await expect(opted_in).to_contain_text("notifications")
    await expect(page.locator("#trail")).not_to_contain_text(ADDRESS)
    export = await page.request.get(
        stack.console_url + await page.locator("a[download]").get_attribute("href")
    )
    text = await export.text()
    assert any(line.startswith("notifications,") and "email.opted_in" in line
               for line in text.splitlines())  # fmt: skip
    assert ADDRESS not in text

    # Russian; a date that is not one is refused on the page, what was typed kept.
    await page.get_by_role("button", name="Русский").click()
    await expect(page.locator("html")).to_have_attribute("lang", "ru")
    await check(page, "ru")
    await page.fill("#since-day", "31")
    await page.fill("#since-month", "2")
    await page.fill("#since-year", "2026")
    await page.locator("#filters button").click()
    await expect(page.locator(".error-summary a[href='#since']")).to_be_visible()
    await expect(page.locator("#since-day")).to_have_value("31")
    await check(page, "ru")
    await context.close()
