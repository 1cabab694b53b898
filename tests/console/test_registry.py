"""The civil registry in Chromium, in English and in Kazakh: the documents officer finds the
task of a referral blocked on a birth certificate in the queue (oldest first), records the
certificate as issued on the person's page (reading the child's name to issue it in, for
documentation), and the referral moves on to the school. A refused change keeps what was
typed. axe-core on every page."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.console.browser import new_context
from tests.console.conftest import sign_in
from tests.console.partners import CHILD_NAME, Api
from tests.console.test_partner import check
from tests.e2e.journey import eventually
from tests.e2e.stack import RunningStack

pytestmark = pytest.mark.stack
WORDS = {
    "en": {"h1": "Documentation tasks", "issued": "Issued"},
    "kk": {"h1": "Құжаттар бойынша тапсырмалар", "issued": "Берілді"},
}


@pytest.mark.parametrize("locale", ["en", "kk"])
async def test_the_registry_clears_a_task_and_the_referral_moves_on(
    stack: RunningStack, browser, locale: str
) -> None:
    api = Api(stack)
    family = await api.family()
    referral = await api.refer(
        family, family.child, "riverton-primary-school", "school-enrolment", ["education"]
    )

    async def blocked() -> bool:
        found = await api.call("coordinator.riverton", "referrals", "GET",
                               f"/v1/referrals/{referral['id']}")  # fmt: skip
        return "documents" in found["blocked_on"]

    await eventually(blocked, what="the referral waits for the birth certificate")
    context = await new_context(browser, locale={"en": "en-GB", "kk": "kk-KZ"}[locale])
    page = await context.new_page()
    await sign_in(page, stack, "documents.riverton")
    await expect(page.locator("h1")).to_have_text(WORDS[locale]["h1"])
    row = page.locator("#tasks tr", has_text=family.code)
    await eventually(lambda: _reloaded_until(page, row), what="the task is in the queue")
    await check(page, locale)

    await row.locator("a").click()
    await check(page, locale)
    # The name to issue the certificate in, for documentation (audited by intake).
    await page.locator("#reveal-form button").click()
    await expect(page.locator("#identity")).to_contain_text(CHILD_NAME)
    await check(page, locale)
    await page.locator(".back-link").click()
    await page.locator("#birth-certificate a").click()
    await check(page, locale)
    # Issued without its date: refused on the page, the choice kept.
    await page.locator("input[name=to_status][value=issued]").check()
    await page.locator("main form button[type=submit]").click()
    await expect(page.locator(".error-summary")).to_be_visible()
    await expect(page.locator("input[name=to_status][value=issued]")).to_be_checked()
    await check(page, locale)
    for part, value in (("day", "1"), ("month", "3"), ("year", "2016")):
        await page.fill(f"#issued_on-{part}", value)
    await page.locator("main form button[type=submit]").click()
    await expect(page.locator("#birth-certificate")).to_contain_text(WORDS[locale]["issued"])
    await check(page, locale)

    async def sent() -> bool:
        return await api.state(referral["id"]) == "requested"

    await eventually(sent, what="the referral went on to the school")
    await context.close()


async def _reloaded_until(page, row) -> bool:
    if await row.count():
        return True
    await page.reload()
    return False
