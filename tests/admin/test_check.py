"""`homeward check`: a healthy setup passes; each broken piece fails, saying what to fix."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiosmtpd.controller import Controller

from homeward.common.settings import DEV_KEY_ENCRYPTION_KEY
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.common.testing.kafka import free_port
from tests.admin.conftest import Homeward, head_of


@pytest.fixture
async def healthy(
    homeward: Homeward,
    kafka: str,
    identity_provider: RunningIdentityProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Topics created, intake's database migrated, the development issuer configured."""
    monkeypatch.setenv("HOMEWARD_OIDC_ISSUER", identity_provider.issuer)
    assert (await homeward("topics", "create", "--partitions", "1")).code == 0
    assert (await homeward("migrate", "intake")).code == 0


@pytest.fixture
def smtp_port() -> Iterator[int]:
    class Accept:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            return "250 OK"

    controller = Controller(Accept(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def lines(output: str) -> dict[str, str]:
    """`✔ intake database: detail` -> {"intake database": "✔ detail"}."""
    found = {}
    for line in output.splitlines():
        mark, rest = line.split(" ", 1)
        name, detail = rest.split(": ", 1)
        found[name] = f"{mark} {detail}"
    return found


async def test_a_healthy_setup_passes(
    homeward: Homeward, healthy: None, kafka: str, identity_provider: RunningIdentityProvider
) -> None:
    checked = await homeward("check", "intake")
    assert checked.code == 0, checked.out
    assert lines(checked.out) == {
        "intake settings": "✔ load (development)",
        "intake database": f"✔ reachable, migrated to head {head_of('intake')}",
        f"broker {kafka}": "✔ reachable, all 7 Homeward topics exist",
        f"issuer {identity_provider.issuer}": "✔ discovery and JWKS reachable, 1 signing key(s)",
    }
    as_json = json.loads((await homeward("check", "intake", "--json")).out)
    assert all(check["ok"] for check in as_json) and len(as_json) == 4


async def test_an_unmigrated_database_fails_with_the_command_to_run(
    homeward: Homeward, healthy: None
) -> None:
    checked = await homeward("check", "referrals")
    assert checked.code == 1
    assert lines(checked.out)["referrals database"].startswith("✘ sqlite+aiosqlite:///")
    assert "reachable but not migrated: run `homeward migrate referrals`" in checked.out


async def test_a_database_behind_head_says_which_revision_it_is_at(
    homeward: Homeward, healthy: None
) -> None:
    assert (await homeward("migrate", "documents", "0002")).code == 0
    checked = await homeward("check", "documents")
    assert lines(checked.out)["documents database"] == (
        f"✘ at revision 0002, head is {head_of('documents')}: run `homeward migrate documents`"
    )


async def test_an_unreachable_broker_fails(
    homeward: Homeward, healthy: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", nowhere)
    checked = await homeward("check", "intake")
    assert checked.code == 1
    assert lines(checked.out)[f"broker {nowhere}"].startswith(
        f"✘ Kafka at {nowhere} does not answer"
    )
    assert "check KAFKA_BOOTSTRAP_SERVERS" in checked.out


async def test_missing_topics_are_named(homeward: Homeward, kafka: str, healthy: None) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    await admin.delete_topics(["homeward.intake.cases"])
    await admin.close()
    checked = await homeward("check", "intake")
    assert checked.code == 1
    assert "1 topics are missing (homeward.intake.cases): run `homeward topics create`" in (
        checked.out
    )


async def test_an_issuer_that_names_itself_differently_fails(
    homeward: Homeward,
    healthy: None,
    identity_provider: RunningIdentityProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOMEWARD_OIDC_ISSUER", identity_provider.issuer + "/")
    checked = await homeward("check", "intake")
    assert checked.code == 1
    assert lines(checked.out)[f"issuer {identity_provider.issuer}/"] == (
        f"✘ the discovery document names issuer {identity_provider.issuer!r}: set "
        "HOMEWARD_OIDC_ISSUER to exactly that (tokens carry it in `iss`)"
    )


async def test_an_unreachable_issuer_fails(
    homeward: Homeward, healthy: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer = f"http://127.0.0.1:{free_port()}/realms/homeward"
    monkeypatch.setenv("HOMEWARD_OIDC_ISSUER", issuer)
    checked = await homeward("check", "intake")
    assert (
        "unreachable (ConnectError): check HOMEWARD_OIDC_ISSUER"
        in lines(checked.out)[f"issuer {issuer}"]
    )


async def test_the_development_key_in_production_fails_without_showing_it(
    homeward: Homeward, healthy: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEWARD_ENVIRONMENT", "production")
    checked = await homeward("check", "intake")
    assert checked.code == 1
    assert checked.out == (
        "✘ intake settings: refusing to start in production with development secrets: "
        "key_encryption_key (set them in the environment)\n"
    )
    assert DEV_KEY_ENCRYPTION_KEY not in checked.out + checked.err


async def test_smtp_is_checked_when_notifications_has_a_host(
    homeward: Homeward, healthy: None, smtp_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await homeward("migrate", "notifications")).code == 0
    monkeypatch.setenv("HOMEWARD_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("HOMEWARD_SMTP_PORT", str(smtp_port))
    checked = await homeward("check", "notifications")
    assert checked.code == 0, checked.out
    assert lines(checked.out)[f"smtp 127.0.0.1:{smtp_port}"] == "✔ reachable, answers"

    closed = free_port()
    monkeypatch.setenv("HOMEWARD_SMTP_PORT", str(closed))
    checked = await homeward("check", "notifications")
    assert checked.code == 1
    assert lines(checked.out)[f"smtp 127.0.0.1:{closed}"].startswith("✘ unreachable or refused")


async def test_check_all_runs_shared_checks_once(homeward: Homeward, healthy: None) -> None:
    for service in ("referrals", "documents", "notifications", "console"):
        assert (await homeward("migrate", service)).code == 0
    checked = await homeward("check", "--all")
    assert checked.code == 0, checked.out
    names = list(lines(checked.out))
    assert len(names) == 12  # settings and database for five services, one broker, one issuer
    assert sum(name.startswith("broker ") for name in names) == 1
