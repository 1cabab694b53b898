"""Real Chromium for the console tests: Debian's `chromium` package driven by Playwright
(never `playwright install`), and axe-core from npm (tests/console/package.json)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, Route
from playwright.async_api import Error as PlaywrightError

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def require_browser() -> None:
    """Skip without Chromium or axe-core, except in CI, where their absence fails the run."""
    missing = [str(p) for p in (Path(CHROMIUM), AXE) if not p.exists()]
    if shutil.which("chromium") is None and str(CHROMIUM) not in missing:
        missing.append("chromium on PATH")
    if not missing:
        return
    message = f"the browser tests need {', '.join(missing)}: run `make browser`"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


async def new_context(browser: Any, *, locale: str, javascript: bool = True) -> BrowserContext:
    context = await browser.new_context(
        locale=locale, viewport={"width": 1200, "height": 900}, java_script_enabled=javascript
    )
    # Injected through the DevTools protocol, so the page's strict CSP does not stop it.
    await context.add_init_script(path=str(AXE))
    return context


async def assert_accessible(page: Page) -> None:
    """axe-core on the page as it is: no violation of WCAG 2.2 A and AA."""
    for attempt in range(3):
        try:
            result = await page.evaluate(
                "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
            )
            break
        except PlaywrightError:
            # A live region was replaced under axe's feet (a notification arrived): again.
            if attempt == 2:
                raise
            await page.wait_for_timeout(300)
    violations = [
        (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
    ]
    assert violations == [], f"{page.url}: {violations}"


async def assert_accessible_as_served(page: Page) -> None:
    """axe-core on a page of a context without JavaScript, where axe cannot finish either (its
    promises never settle): the same document, served again at its address to a page that
    runs axe and loads the page's styles but none of its scripts."""
    document, address = await page.content(), page.url

    async def serve(route: Route) -> None:
        if route.request.url == address:
            await route.fulfill(body=document, content_type="text/html; charset=utf-8")
        elif route.request.resource_type == "script":
            await route.abort()
        else:
            await route.continue_()

    assert page.context.browser is not None
    context = await new_context(page.context.browser, locale="en-GB")
    copy = await context.new_page()
    await copy.route("**/*", serve)
    await copy.goto(address)
    try:
        await assert_accessible(copy)
    finally:
        await context.close()


# Text that is data, not words to translate: case and person codes, usernames, dates, ids.
DATA = re.compile(
    r"(HW|P)-[0-9A-Z]{4}-[0-9A-Z]{2}|[a-z]+\.[a-z]+|\d{2}\.\d{2}\.\d{4}( \d{2}:\d{2})?|\d+"
)
VISIBLE_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!el || el.closest('[translate="no"],[lang]:not(html),script,style')) continue;
    const text = node.textContent.trim();
    if (text) out.push(text);
  }
  for (const el of document.querySelectorAll('[aria-label],[title]')) {
    if (!el.closest('[translate="no"]')) out.push(el.getAttribute('aria-label') || el.title);
  }
  out.push(document.title);
  return out;
}"""
RAW_CODE = re.compile(r"\b[a-z]+(?:-[a-z]+)+\b")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


async def page_words(page: Page) -> list[str]:
    texts = await page.evaluate(VISIBLE_TEXT)
    return [DATA.sub(" ", text) for text in texts]


async def assert_translated(page: Page, locale: str, english: set[str]) -> None:
    """No raw code and no English sentence left on a page in another language. In Cyrillic
    locales any Latin word is one; in Uzbek (Latin script) an English message of ours is."""
    leftovers = []
    for text in await page_words(page):
        if RAW_CODE.search(text):
            leftovers.append(text)
        elif locale in ("ru", "kk") and LATIN_WORD.search(text.replace("Homeward", "")):
            leftovers.append(text)
        elif locale == "uz" and text in english:
            leftovers.append(text)
    assert leftovers == [], f"{page.url} ({locale}): {leftovers[:10]}"
