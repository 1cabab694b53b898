"""`homeward keys`: rotation without downtime, end to end through the services' real tables.

Identities are written by the intake service under the old key; the service is redeployed
with the new key current and the old one retired; `keys rotate` re-wraps while it serves;
then a service given only the new key still reads every identity.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from homeward.common.crypto import IdentityVault, KeyEncryptionKey, KeyRing
from homeward.common.db import Database, utcnow
from homeward.common.migrations import upgrade
from homeward.common.testing.apps import running_service
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.intake.app import create_app
from homeward.intake.settings import IntakeSettings
from homeward.notifications.adapters.tables import SubscriptionRow
from homeward.notifications.handlers.subscriptions import open_secret, seal_secret
from tests.admin.conftest import NEW_KEK, OLD_KEK, Homeward
from tests.intake.intake_helpers import family

OLD_ID = KeyEncryptionKey.from_base64(OLD_KEK).key_id
NEW_ID = KeyEncryptionKey.from_base64(NEW_KEK).key_id
COORDINATOR = "coordinator.riverton"
PURPOSE = {"X-Purpose": "documentation"}


def intake_settings(database_url: str, idp: RunningIdentityProvider, **keys: Any) -> IntakeSettings:
    return IntakeSettings(database_url=database_url, oidc_issuer=idp.issuer, **keys)


def identity_path(case: dict[str, Any]) -> str:
    return f"/v1/cases/{case['id']}/persons/{case['persons'][0]['id']}/identity"


@pytest.fixture
def rotating(monkeypatch: pytest.MonkeyPatch) -> None:
    """Step 1 of a rotation, as the command sees it: new key current, old key retired."""
    monkeypatch.setenv("HOMEWARD_KEY_ENCRYPTION_KEY", NEW_KEK)
    monkeypatch.setenv("HOMEWARD_RETIRED_KEY_ENCRYPTION_KEYS", OLD_KEK)


async def status(homeward: Homeward, service: str) -> list[dict[str, Any]]:
    shown = await homeward("keys", "status", service, "--json")
    assert shown.code == 0, shown.err
    return json.loads(shown.out)["keys"]


async def test_rotation_rewraps_every_data_key_while_the_service_serves(
    homeward: Homeward,
    database_url: str,
    identity_provider: RunningIdentityProvider,
    monkeypatch: pytest.MonkeyPatch,
    rotating: None,
) -> None:
    monkeypatch.setenv("HOMEWARD_INTAKE_DATABASE_URL", database_url)
    old_only = intake_settings(database_url, identity_provider, key_encryption_key=OLD_KEK)
    async with running_service(create_app, old_only, idp=identity_provider) as intake:
        cases = []
        for _ in range(3):
            response = await intake.call(COORDINATOR, "POST", "/v1/cases", json=family())
            assert response.status_code == 201, response.text
            cases.append(response.json())
    assert await status(homeward, "intake") == [{"kek_id": OLD_ID, "role": "retired", "rows": 3}]

    both = intake_settings(
        database_url, identity_provider,
        key_encryption_key=NEW_KEK, retired_key_encryption_keys=OLD_KEK,
    )  # fmt: skip
    async with running_service(create_app, both, idp=identity_provider) as intake:
        response = await intake.call(COORDINATOR, "POST", "/v1/cases", json=family())
        cases.append(response.json())  # a new case gets its data key under the new KEK
        rotated = await homeward("keys", "rotate", "intake", "--batch-size", "2")
        assert rotated.code == 0, rotated.err
        assert (
            rotated.out
            == f"intake: 3 data keys re-wrapped under {NEW_ID} in 2 committed batch(es)\n"
        )
        read = await intake.call(COORDINATOR, "GET", identity_path(cases[0]), headers=PURPOSE)
        assert read.status_code == 200

    assert await status(homeward, "intake") == [{"kek_id": NEW_ID, "role": "current", "rows": 4}]
    table = await homeward("keys", "status", "intake")
    assert table.out.split() == ["KEK", "ID", "ROLE", "DATA", "KEYS", NEW_ID, "current", "4"]
    assert OLD_KEK not in table.out + rotated.out and NEW_KEK not in table.out + rotated.out

    # Step 3: the old key is gone from the configuration, and every identity still reads.
    new_only = intake_settings(database_url, identity_provider, key_encryption_key=NEW_KEK)
    async with running_service(create_app, new_only, idp=identity_provider) as intake:
        for case in cases:
            read = await intake.call(COORDINATOR, "GET", identity_path(case), headers=PURPOSE)
            assert read.status_code == 200, read.text
            assert read.json()["full_name"] == "Zaynab Qorvath-Elmira"

    again = await homeward("keys", "rotate", "intake")
    assert again.out.startswith("intake: 0 data keys re-wrapped")


async def test_rotation_refuses_keys_it_was_not_given(
    homeward: Homeward,
    database_url: str,
    identity_provider: RunningIdentityProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOMEWARD_DOCUMENTS_DATABASE_URL", database_url)
    assert (await homeward("migrate", "documents")).code == 0
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            await _vault_with(OLD_KEK).create_key(session, "case-1")
    finally:
        await database.dispose()
    monkeypatch.setenv("HOMEWARD_KEY_ENCRYPTION_KEY", NEW_KEK)  # the old one forgotten

    assert await status(homeward, "documents") == [{"kek_id": OLD_ID, "role": "unknown", "rows": 1}]
    refused = await homeward("keys", "rotate", "documents")
    assert refused.code == 1
    assert (
        f"data keys under {OLD_ID}, which is neither the current nor a retired key" in refused.err
    )
    assert "HOMEWARD_RETIRED_KEY_ENCRYPTION_KEYS" in refused.err


async def test_notifications_webhook_secrets_are_resealed_too(
    homeward: Homeward, rotating: None
) -> None:
    assert (await homeward("migrate", "notifications")).code == 0
    old_ring = KeyRing(KeyEncryptionKey.from_base64(OLD_KEK))
    database = Database(os.environ["HOMEWARD_NOTIFICATIONS_DATABASE_URL"])
    try:
        async with database.transaction() as session:
            for number in range(3):
                sealed, key_id = seal_secret(old_ring, f"sub-{number}", f"whsec-{number}")
                session.add(
                    SubscriptionRow(
                        id=f"sub-{number}", agency_id="riverton-police",
                        url="https://police.example/hook", event_types=[],
                        secret_sealed=sealed, secret_key_id=key_id, status="active",
                        created_at=utcnow(), created_by="test",
                    )
                )  # fmt: skip
        rotated = await homeward("keys", "rotate", "notifications", "--batch-size", "2")
        assert rotated.code == 0, rotated.err
        assert rotated.out.startswith(f"notifications: 3 webhook secrets re-wrapped under {NEW_ID}")
        new_only = KeyRing(KeyEncryptionKey.from_base64(NEW_KEK))
        async with database.sessions() as session:
            for number in range(3):
                row = await session.get(SubscriptionRow, f"sub-{number}")
                assert row is not None and open_secret(new_only, row) == f"whsec-{number}"
    finally:
        await database.dispose()
    assert await status(homeward, "notifications") == [
        {"kek_id": NEW_ID, "role": "current", "rows": 3}
    ]


async def test_the_vault_rewraps_in_batches_each_committed_by_the_caller(database_url: str) -> None:
    await upgrade(database_url, "homeward.intake.migrations")
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            for number in range(5):
                await _vault_with(OLD_KEK).create_key(session, f"case-{number}")
        old, new = KeyEncryptionKey.from_base64(OLD_KEK), KeyEncryptionKey.from_base64(NEW_KEK)
        vault = IdentityVault(KeyRing(new, [old]))
        batches = []
        while True:
            async with database.transaction() as session:
                batches.append(await vault.rewrap_batch(session, batch_size=2))
            if not batches[-1]:
                break
        assert batches == [2, 2, 1, 0]
    finally:
        await database.dispose()


def _vault_with(kek: str) -> IdentityVault:
    return IdentityVault(KeyRing(KeyEncryptionKey.from_base64(kek)))
