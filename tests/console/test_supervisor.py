"""The supervisor in Chromium, in English then in Uzbek: a transfer from Lakeside accepted
from the day's page, the outcome indicators read as a chart with the same table beside it;
a closure rejected (first without a reason: refused, kept), a consent override refused
without its reason, and the erasure's confirmation that says what stays. axe-core on every
page."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.console.browser import new_context
from tests.console.conftest import sign_in
from tests.console.partners import COORDINATOR, Api
from tests.console.test_partner import check
from tests.e2e.journey import eventually
from tests.e2e.stack import RunningStack

pytestmark = pytest.mark.stack
SUPERVISOR = "supervisor.riverton"


async def test_the_supervisor_decides_and_reads_the_indicators(
    stack: RunningStack, browser
) -> None:
    api = Api(stack)
    incoming = await api.lakeside_case()
    transfer = await api.call(
        "coordinator.lakeside", "intake", "POST", f"/v1/cases/{incoming['id']}/transfers",
        json={"to_municipality": "riverton"},
    )  # fmt: skip
    family = await api.family()
    await api.call(COORDINATOR, "intake", "POST", f"/v1/cases/{family.case_id}/closure-requests",
                   json={"reason": "reintegration-completed"})  # fmt: skip
    blocked = await api.refer(family, family.mother, "riverton-health-centre", "health-care",
                              ["health"])  # fmt: skip

    context = await new_context(browser, locale="en-GB")
    page = await context.new_page()
    await sign_in(page, stack, SUPERVISOR)
    await expect(page.locator("h1")).to_have_text("What needs you today")
    card = page.locator("#transfers .card", has_text=incoming["code"])
    await check(page)
    await card.locator("form[action$='/accept'] button").click()
    await expect(page.locator(".notification-banner")).to_be_visible()

    async def accepted() -> bool:
        found = await api.call(SUPERVISOR, "intake", "GET", "/v1/transfers")
        return any(t["id"] == transfer["id"] and t["status"] == "accepted" for t in found)

    await eventually(accepted, what="the transfer accepted")
    await check(page)

    await page.locator("main a[href='/supervisor/indicators']").click()
    chart = page.locator("#chart svg")
    await expect(chart).to_have_attribute("role", "img")
    rows = page.locator("#indicator-table tbody tr")
    assert await rows.count() == await chart.locator("rect[x='320']").count() > 0
    await expect(page.locator("#indicator-table")).to_contain_text("Health care")
    await expect(page.locator("#indicator-table")).to_contain_text("<5")  # as the API says
    await expect(chart.locator("text", has_text="<5").first).to_be_visible()
    await check(page)

    # In Uzbek: the closure, the override and the erasure's confirmation.
    await page.get_by_role("button", name="Oʻzbekcha").click()
    await expect(page.locator("html")).to_have_attribute("lang", "uz")
    await check(page, "uz")
    await page.goto(f"{stack.console_url}/supervisor")
    closure = page.locator("#closures .card", has_text=family.code)
    await closure.locator("summary").click()
    await closure.locator("form[action$='/reject'] button").click()
    await expect(page.locator(".error-summary")).to_be_visible()
    await check(page, "uz")
    closure = page.locator("#closures .card", has_text=family.code)
    await closure.locator("select").select_option("support-still-needed")
    await closure.locator("form[action$='/reject'] button").click()
    await expect(page.locator(".notification-banner")).to_be_visible()
    await expect(page.locator("#closures .card", has_text=family.code)).to_have_count(0)

    await eventually(lambda: _consent_blocked(api, blocked["id"]), what="blocked by consent")
    await page.goto(f"{stack.console_url}/supervisor/referrals/{blocked['id']}/override")
    await check(page, "uz")
    await page.locator("input[name=legal_basis][value=vital-interest]").check()
    await page.locator("main form button[type=submit]").click()
    await expect(page.locator(".error-summary a[href='#reason']")).to_be_visible()
    await expect(page.locator("input[value=vital-interest]")).to_be_checked()
    await check(page, "uz")

    await page.goto(f"{stack.console_url}/supervisor/cases/{family.case_id}/erase")
    await expect(page.locator(".warning-block")).to_be_visible()
    await page.locator("main form button[type=submit]").click()  # no code typed: refused
    await expect(page.locator(".error-summary")).to_be_visible()
    await check(page, "uz")
    await context.close()


async def _consent_blocked(api: Api, referral_id: str) -> bool:
    found = await api.call(COORDINATOR, "referrals", "GET", f"/v1/referrals/{referral_id}")
    return "consent" in found["blocked_on"]
