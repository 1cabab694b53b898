"""The coordinator's journey in Chromium, as a coordinator works: sign in on the identity
provider's page, find the demo family by a code typed carelessly, record an assessment, refer
the elder child to a school and see the documents block before sending, watch the referral
unblock live when a documents officer records the birth certificate, sign out. Once in
English (screenshots for the README), once in Russian with no English string left; axe-core
on every page of both."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.console.browser import (
    SCREENSHOTS,
    assert_accessible,
    assert_translated,
    new_context,
)
from tests.console.conftest import sign_in
from tests.console.messages import english_messages
from tests.e2e.journey import eventually
from tests.e2e.stack import RunningStack

pytestmark = pytest.mark.stack

# What the journey reads on its pages, per language (the rest is checked by the catalogue).
WORDS = {
    "en": {"blocked": "Blocked: documents are missing", "clear": "Nothing blocks this referral",
           "signed_out": "You are signed out", "assessed": "The assessment was recorded.",
           "high": "High", "consented": "The consent was recorded.",
           "issued": "The status of the birth certificate of {person} became: Issued."},
    "ru": {"blocked": "Заблокировано: не хватает документов",
           "clear": "Направлению ничего не мешает", "signed_out": "Вы вышли из системы",
           "assessed": "Оценка записана.", "high": "Высокая", "consented": "Согласие записано.",
           "issued": "Новый статус документа «свидетельство о рождении» для {person}: Выдан."},
}  # fmt: skip


async def check(page: Page, locale: str) -> None:
    await assert_accessible(page)
    if locale != "en":
        await assert_translated(page, locale, english_messages())


async def record_birth_certificate(stack: RunningStack, case_code: str, born: int) -> str:
    """A documents officer, through the API, records the child's birth certificate; the
    child's person code."""
    coordinator = await stack.user_token("coordinator.riverton")
    officer = await stack.user_token("documents.riverton")
    async with httpx.AsyncClient(timeout=10) as http:
        intake = stack.service_url("intake")
        case = (
            await http.get(f"{intake}/v1/cases/by-code/{case_code}",
                           headers={"Authorization": f"Bearer {coordinator}"})
        ).json()  # fmt: skip
        child = next(p for p in case["persons"] if p["birth_year"] == born)
        documents, auth = stack.service_url("documents"), {"Authorization": f"Bearer {officer}"}
        records = await http.get(f"{documents}/v1/persons/{child['id']}/records", headers=auth)
        assert records.status_code == 200, records.text
        certificate = next(
            r for r in records.json()["records"] if r["document_type"] == "birth-certificate"
        )
        issued = await http.post(
            f"{documents}/v1/records/{certificate['id']}/status", headers=auth,
            json={"to_status": "issued", "issued_on": datetime.now(UTC).date().isoformat()},
        )  # fmt: skip
        assert issued.status_code == 200, issued.text
        return child["code"]


async def readiness_known(stack: RunningStack, case_code: str, born: int) -> bool:
    token = await stack.user_token("coordinator.riverton")
    async with httpx.AsyncClient(timeout=10) as http:
        auth = {"Authorization": f"Bearer {token}"}
        case = (await http.get(
            f"{stack.service_url('intake')}/v1/cases/by-code/{case_code}", headers=auth
        )).json()  # fmt: skip
        child = next(p for p in case["persons"] if p["birth_year"] == born)
        readiness = await http.get(
            f"{stack.service_url('documents')}/v1/persons/{child['id']}/readiness", headers=auth
        )
        return readiness.status_code == 200


# Each run refers a child whose birth certificate is still missing: the elder, then the younger.
@pytest.mark.parametrize(("locale", "born"), [("en", 2016), ("ru", 2020)])
async def test_the_coordinator_journey(
    stack: RunningStack, browser, demo_code: str, locale: str, born: int
) -> None:
    words = WORDS[locale]
    context = await new_context(browser, locale={"en": "en-GB", "ru": "ru-RU"}[locale])
    page = await context.new_page()
    await sign_in(page, stack, "coordinator.riverton")
    await expect(page.locator("h1")).to_be_visible()
    await check(page, locale)

    # Find: the code as a hurried person types it.
    await page.locator('header a[href="/find"]').click()
    await check(page, locale)
    await page.fill("#code", demo_code.lower().replace("-", ""))
    await page.locator("main form button").click()
    await page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}$"))
    await expect(page.locator("h1")).to_have_text(demo_code)
    await check(page, locale)
    family_url = page.url

    # Record an assessment for the child.
    child = page.locator("section.person", has_text=str(born))
    await child.locator('a[href$="/assessment"]').click()
    await check(page, locale)
    await page.select_option("#level-education", "high")
    await page.locator("main form button[type=submit]").click()
    await expect(page.locator(".notification-banner")).to_contain_text(words["assessed"])
    await expect(child.locator("table.table--needs")).to_contain_text(words["high"])
    await check(page, locale)
    if locale == "en":
        await page.screenshot(path=str(SCREENSHOTS / "family.png"), full_page=True)

    # The guardian's consent for the school to receive education data (a child's is theirs).
    await child.locator('a[href$="/consent"]').click()
    await check(page, locale)
    await page.select_option("#recipient_agency_type", "school")
    await page.locator('input[name="categories"][value="education"]').check()
    next_year = datetime.now(UTC).year + 1
    for part, value in (("day", "1"), ("month", "6"), ("year", str(next_year))):
        await page.fill(f"#valid_until-{part}", value)
    await page.locator("main form[method=post]:not([action]) button").click()
    await expect(page.locator(".notification-banner")).to_contain_text(words["consented"])

    # Refer the child to a school: the documents block shows before anything is sent.
    await eventually(lambda: readiness_known(stack, demo_code, born),
                     what="documents knows the child's readiness")  # fmt: skip
    await child.locator('a[href*="/refer?person="]').click()
    await page.select_option("#category", "school-enrolment")
    await page.locator('main form[method="get"] button').click()
    await check(page, locale)
    await page.locator("#agency").check()
    await page.fill("#reason", "Enrolment in the next school year")
    await page.locator('input[name="disclose"][value="education"]').check()
    await page.locator('main form[method="post"] button[type=submit]').click()
    await page.wait_for_url(re.compile(r"/referrals/[0-9a-f-]{36}"))
    status = page.locator("#referral-status")
    await expect(status).to_contain_text(words["blocked"])
    await check(page, locale)
    await status.locator("form button").click()  # send as soon as nothing blocks it
    await expect(page.locator("#referral-status")).to_contain_text(words["blocked"])

    # The birth certificate is recorded elsewhere; the page follows without a reload.
    await page.evaluate("window.__notReloaded = true")
    badge = page.locator("header [data-unread-badge]")
    unread_before = await badge.text_content()
    child_code = await record_birth_certificate(stack, demo_code, born)
    await expect(page.locator("#referral-status")).to_contain_text(words["clear"], timeout=45_000)
    await expect(badge).not_to_have_text(unread_before or "")  # the unread badge followed
    assert await page.evaluate("window.__notReloaded === true")
    await check(page, locale)

    # The family's timeline tells it too, from documents' own history of the record.
    await page.goto(family_url)
    await expect(page.locator("ol.timeline")).to_contain_text(
        words["issued"].format(person=child_code)
    )
    await check(page, locale)

    # Home again, with the day's notifications on it (the README's picture of it).
    await page.locator('header a[href="/"]').first.click()
    await expect(page.locator("#card-unread")).to_be_visible()
    await check(page, locale)
    if locale == "en":
        await page.screenshot(path=str(SCREENSHOTS / "home.png"), full_page=True)

    # Sign out: the session ends on the server, so its cookie opens nothing any more.
    cookie = next(c for c in await context.cookies() if c["name"] == "homeward_session")
    await page.locator('header form[action="/logout"] button').click()
    await expect(page.locator("h1")).to_contain_text(words["signed_out"])
    await check(page, locale)
    async with httpx.AsyncClient(cookies={"homeward_session": cookie["value"]}) as http:
        again = await http.get(family_url)
    assert again.status_code == 303 and again.headers["location"].startswith("/login")
    await context.close()
