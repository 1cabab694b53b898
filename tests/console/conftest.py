"""One embedded stack (the console included) and one Chromium for all the console's browser
tests: starting them once keeps the whole folder to a few minutes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Page, async_playwright, expect

from tests.console.browser import ARGS, CHROMIUM, require_browser
from tests.e2e.stack import RunningStack, running_stack
from tests.notifications.helpers import smtp_server

PASSWORD = "demo"  # every demo user's (deploy/keycloak/homeward-realm.json)


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[Any, int]]:
    """The stack's mail server: the emails the notifications service sends, as received."""
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="session")
def mailbox(smtp: tuple[Any, int]) -> Any:
    return smtp[0]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def stack(
    tmp_path_factory: pytest.TempPathFactory, smtp: tuple[Any, int]
) -> AsyncIterator[RunningStack]:
    env = {"HOMEWARD_SMTP_HOST": "127.0.0.1", "HOMEWARD_SMTP_PORT": str(smtp[1]),
           "HOMEWARD_EMAIL_POLL_INTERVAL_S": "0.2"}  # fmt: skip
    async with running_stack(tmp_path_factory.mktemp("console-stack"), env) as running:
        yield running


@pytest.fixture(scope="session")
def demo_code(stack: RunningStack) -> str:
    [line] = [line for line in stack.output if line.startswith("Demo data: the family ")]
    return line.split()[4]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Any]:
    require_browser()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        await launched.close()


async def sign_in(page: Page, stack: RunningStack, username: str) -> None:
    """As a person does: the console sends the browser to the identity provider's page."""
    await page.goto(stack.console_url + "/")
    await expect(page.locator("#username")).to_be_visible()
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.locator("#kc-login").click()
    await page.wait_for_url(re.compile(re.escape(stack.console_url) + "/"))
