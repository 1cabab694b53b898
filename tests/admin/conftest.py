"""Admin command fixtures: `homeward` run as an operator runs it, against a broker of its own.

The command is called through `main([...])` in a worker thread, so that what the test's event
loop serves (the development issuer, a service under test) keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from alembic.script import ScriptDirectory

from homeward.admin.cli import main
from homeward.common.events.tansu import TansuBroker
from homeward.common.migrations import alembic_config
from homeward.common.testing.kafka import free_port

# Two real key-encryption keys (32 bytes each) for rotation tests.
OLD_KEK = base64.b64encode(b"old-key-encryption-key-32-bytes!").decode()
NEW_KEK = base64.b64encode(b"new-key-encryption-key-32-bytes!").decode()


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


Homeward = Callable[..., Awaitable[Run]]


@pytest.fixture
def homeward(capsys: pytest.CaptureFixture[str]) -> Homeward:
    """`await homeward("topics", "list")`: exit code, stdout and stderr of the command."""

    def call(argv: list[str]) -> int:
        try:
            return main(argv)
        except SystemExit as exit_:  # argparse's usage errors
            return int(exit_.code or 0)

    async def run(*argv: str) -> Run:
        capsys.readouterr()
        code = await asyncio.to_thread(call, list(argv))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only what a test sets: no settings leak in from the shell, databases under tmp_path."""
    for name in list(os.environ):
        if name.startswith(("HOMEWARD_", "KAFKA_")) or name == "DATABASE_URL":
            if not name.startswith("HOMEWARD_TEST_"):
                monkeypatch.delenv(name)
    for service in ("intake", "referrals", "documents", "notifications"):
        monkeypatch.setenv(
            f"HOMEWARD_{service.upper()}_DATABASE_URL",
            f"sqlite+aiosqlite:///{tmp_path / f'{service}.db'}",
        )


@pytest_asyncio.fixture
async def kafka(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    """A fresh broker per test (topics, dead letters and purge marks are broker-wide state),
    set as KAFKA_BOOTSTRAP_SERVERS."""
    async with TansuBroker(free_port()) as broker:
        monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap_servers)
        yield broker.bootstrap_servers


def head_of(service: str) -> str:
    config = alembic_config("sqlite://", f"homeward.{service}.migrations")
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head
