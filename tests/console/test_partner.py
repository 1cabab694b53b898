"""Partner agencies in Chromium. The school (in English) opts in to email, receives the
referral email (the tests' SMTP server), follows its link, signs in, accepts the referral
and completes it by keyboard alone, and reveals the
child's name for a stated purpose (the guardian consented to identity for schools). The
police (in Russian) cannot reveal the mother's identity (no consent) and sees no health data.
axe-core on every page."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.console.browser import assert_accessible, assert_translated, new_context
from tests.console.conftest import PASSWORD, sign_in
from tests.console.messages import english_messages
from tests.console.partners import CHILD_NAME, Api
from tests.e2e.journey import eventually
from tests.e2e.stack import RunningStack

pytestmark = pytest.mark.stack
SCHOOL_EMAIL = "staff@riverton-school.example"
POLICE_EMAIL = "duty@riverton-police.example"


async def check(page: Page, locale: str = "en") -> None:
    await assert_accessible(page)
    if locale != "en":
        await assert_translated(page, locale, english_messages())


async def tab_to(page: Page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until `selector` has the focus, as a keyboard user moves through a page."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never got the focus by Tab")


async def sent(api: Api, referral_id: str) -> bool:
    return await api.state(referral_id) == "requested"


async def test_the_school_accepts_reveals_and_completes(
    stack: RunningStack, browser, mailbox
) -> None:
    # The school's staff member opts in to email, in the console.
    context = await new_context(browser, locale="en-GB")
    page = await context.new_page()
    await sign_in(page, stack, "school.riverton")
    await page.locator("header a[href='/email']").click()
    await check(page)
    await page.fill("#address", SCHOOL_EMAIL)
    await page.locator("main form button[type=submit]").first.click()
    await expect(page.locator(".notification-banner")).to_contain_text("by email too")
    await check(page)
    await context.close()

    api = Api(stack)
    family = await api.family()
    await api.issue(family.child)
    referral = await api.refer(
        family, family.child, "riverton-primary-school", "school-enrolment",
        ["education", "identity"],
    )  # fmt: skip
    await eventually(lambda: sent(api, referral["id"]), what="the referral reached the school")

    # The email: the case code, the service, the deadline and a link; no name.
    def the_email() -> dict | None:
        return next((m for m in mailbox.messages if m["to"] == [SCHOOL_EMAIL]
                     and family.code in m["subject"]), None)  # fmt: skip

    email = await eventually(the_email, what="the referral email to the school")
    body = email["body"]
    assert "Service: School enrolment" in body and "Due: " in body
    assert CHILD_NAME not in email["raw"] and "Testova" not in email["raw"]
    [link] = re.findall(r"https?://\S+", body)
    assert link == f"{stack.console_url}/referrals/{referral['id']}"

    # Following the link: sign in first, then the referral opens (the link changed nothing).
    assert await api.state(referral["id"]) == "requested"
    context = await new_context(browser, locale="en-GB")
    page = await context.new_page()
    await page.goto(link)
    await page.fill("#username", "school.riverton")
    await page.fill("#password", PASSWORD)
    await page.locator("#kc-login").click()
    await page.wait_for_url(link)
    await expect(page.locator("h1")).to_have_text("Referral for School enrolment")
    await expect(page.locator("#case-summary")).to_contain_text("2015")
    await expect(page.locator("#reveal-form")).to_have_count(0)  # not before accepting
    await check(page)

    # Home is the agency's incoming referrals, the one due first on top.
    await page.locator("header nav a[href='/']").click()
    await expect(page.locator("h1")).to_have_text("Incoming referrals")
    card = page.locator(".card", has_text=family.code)
    await expect(card).to_contain_text("Accept or reject it by")
    await check(page)
    await card.locator("a").click()

    await expect(page.locator("h1")).to_have_text("Referral for School enrolment")

    # Accept by keyboard alone.
    await tab_to(page, "#do-accept")
    await page.keyboard.press("Enter")
    await expect(page.locator(".notification-banner")).to_contain_text("Accepted")
    await check(page)

    # The child's name, for a stated purpose, on this page only.
    await page.locator("#reveal-form input[value=referral]").check()
    await page.locator("#reveal-form button").click()
    await expect(page.locator("#identity")).to_contain_text(CHILD_NAME)
    await check(page)
    await page.locator(".back-link").click()

    # Start, then complete with an outcome by keyboard alone.
    await page.locator("#do-start").click()
    await expect(page.locator(".notification-banner")).to_contain_text("In progress")
    await tab_to(page, "#complete-form input[name=outcome]")
    await page.keyboard.press("Space")  # the first outcome: achieved
    await tab_to(page, "#complete-form button[type=submit]")
    await page.keyboard.press("Enter")
    await expect(page.locator(".notification-banner")).to_contain_text("Completed")
    assert await api.state(referral["id"]) == "completed"
    await check(page)

    # An ended referral leaves the incoming list.
    await page.goto(f"{stack.console_url}/incoming")
    await expect(page.locator(".card", has_text=family.code)).to_have_count(0)
    await context.close()


async def test_the_police_cannot_reveal_and_sees_no_health_data(
    stack: RunningStack, browser, mailbox
) -> None:
    # The police officer opts in to email from the Russian console: emails come in Russian.
    context = await new_context(browser, locale="ru-RU")
    page = await context.new_page()
    await sign_in(page, stack, "police.riverton")
    await expect(page.locator("h1")).to_have_text("Входящие направления")
    await check(page, "ru")
    await page.locator("header a[href='/email']").click()
    await expect(page.locator("#address-hint")).to_contain_text("Русский")
    await page.fill("#address", POLICE_EMAIL)
    await page.locator("main form button[type=submit]").first.click()
    await expect(page.locator(".notification-banner")).to_be_visible()
    await check(page, "ru")

    api = Api(stack)
    family = await api.family()
    referral = await api.refer(
        family, family.mother, "riverton-police", "family-support", ["family"]
    )
    await eventually(lambda: sent(api, referral["id"]), what="the referral reached the police")

    def the_email() -> dict | None:
        return next((m for m in mailbox.messages if m["to"] == [POLICE_EMAIL]
                     and family.code in m["subject"]), None)  # fmt: skip

    email = await eventually(the_email, what="the referral email to the police")
    assert email["subject"] == f"[{family.code}] Вашей организации отправлено направление"
    assert "Услуга: Поддержка семьи" in email["body"] and "Срок: " in email["body"]
    assert "Service:" not in email["body"] and CHILD_NAME not in email["body"]
    await page.goto(f"{stack.console_url}/")
    await expect(page.locator("h1")).to_have_text("Входящие направления")
    await page.locator(".card", has_text=family.code).locator("a").click()
    await page.wait_for_url(re.compile(r"/incoming/[0-9a-f-]{36}$"))
    await check(page, "ru")
    await page.locator("#do-accept").click()
    await expect(page.locator(".notification-banner")).to_be_visible()
    summary = page.locator("#case-summary")
    await expect(summary).to_contain_text("Мать")  # the family category: her role
    for health in ("Физическое здоровье", "Психическое здоровье и травма"):
        await expect(summary).not_to_contain_text(health)
    await check(page, "ru")

    # No consent to identity for the police: intake answers 404, the page says why.
    await page.locator("#reveal-form input[value=safeguarding]").check()
    await page.locator("#reveal-form button").click()
    await expect(page.locator(".error-summary")).to_contain_text("Вам нельзя видеть")
    await expect(page.locator("input[value=safeguarding]")).to_be_checked()  # input kept
    await check(page, "ru")

    # My agency: the police now keep a waiting list and have one legal counsel.
    await page.locator("header a[href='/my-agency']").click()
    await check(page, "ru")
    await page.locator("input[name=capacity][value=waitlist]").check()
    await page.fill("#staff-legal-counsel", "x")
    await page.locator("main form button[type=submit]").click()
    await expect(page.locator(".error-summary a[href='#staff-legal-counsel']")).to_be_visible()
    await expect(page.locator("input[name=capacity][value=waitlist]")).to_be_checked()
    await check(page, "ru")
    await page.fill("#staff-legal-counsel", "1")
    await page.locator("main form button[type=submit]").click()
    await expect(page.locator(".notification-banner")).to_be_visible()
    agency = await api.call("police.riverton", "referrals", "GET", "/v1/agencies/riverton-police")
    assert agency["capacity"] == "waitlist"
    assert agency["accreditations"] == [{"code": "legal-counsel", "count": 1}]

    # Suggest an onward referral (the page and its refusal in Russian too).
    await page.goto(f"{stack.console_url}/incoming/{referral['id']}/suggest")
    await check(page, "ru")
    await page.locator("main form button[type=submit]").click()
    await expect(page.locator(".error-summary")).to_be_visible()
    await check(page, "ru")
    await page.select_option("#service_category", "mental-health")
    await page.locator("input[name=reason][value=need-observed]").check()
    await page.locator("main form button[type=submit]").click()
    await expect(page.locator(".notification-banner")).to_contain_text("предложение")
    await context.close()


async def test_the_coordinator_turns_a_suggestion_into_a_referral(
    stack: RunningStack, browser
) -> None:
    """The police suggest mental-health support for the mother it serves; the coordinator
    sees it on the home page and drafts the referral to the health centre in one step."""
    api = Api(stack)
    family = await api.family()
    referral = await api.refer(
        family, family.mother, "riverton-police", "family-support", ["family"]
    )
    await eventually(lambda: sent(api, referral["id"]), what="the referral reached the police")
    path = f"/v1/referrals/{referral['id']}"
    await api.call("police.riverton", "referrals", "POST", f"{path}/accept", json={})
    body = {"service_category": "mental-health", "reason": "need-observed"}
    await api.call("police.riverton", "referrals", "POST", f"{path}/suggestions", json=body)

    context = await new_context(browser, locale="en-GB")
    page = await context.new_page()
    await sign_in(page, stack, "coordinator.riverton")
    card = page.locator("section.card", has_text="Suggestions from partners")
    await expect(card).to_contain_text(family.code)
    await card.locator("a[href='/suggestions']").click()
    suggestion = page.locator("#suggestions .card", has_text=family.code)
    await check(page)
    await suggestion.locator("summary").click()
    await suggestion.locator("form[action$='/decline'] button").click()  # no reason: refused
    await expect(page.locator(".error-summary")).to_be_visible()
    await check(page)
    suggestion = page.locator("#suggestions .card", has_text=family.code)
    await suggestion.locator("select").first.select_option("riverton-health-centre")
    await suggestion.locator("form[action$='/accept'] button").click()
    await page.wait_for_url(re.compile(r"/referrals/[0-9a-f-]{36}$"))
    await expect(page.locator("h1")).to_have_text("Referral for Mental health support")
    await check(page)
    await context.close()
