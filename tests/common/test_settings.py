from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import ValidationError

from homeward.common.crypto import KeyEncryptionKey, KeyRing
from homeward.common.db import Database
from homeward.common.events import InMemoryBroker
from homeward.common.service import create_service_app, default_parts
from homeward.common.settings import DEV_KEY_ENCRYPTION_KEY, CommonSettings, Environment
from homeward.common.testing.idp import RunningIdentityProvider
from homeward.intake.settings import IntakeSettings

REAL_KEY = base64.b64encode(b"a-real-key-from-the-secret-store").decode()
OLD_KEY = base64.b64encode(b"the-key-before-the-last-rotation").decode()


def test_each_service_gets_its_own_sqlite_database_by_default(monkeypatch) -> None:
    monkeypatch.delenv("HOMEWARD_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert IntakeSettings().database_url == "sqlite+aiosqlite:///var/data/intake.db"


def test_conventional_environment_names_are_honoured(monkeypatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("DATABASE_URL", "postgresql://intake@db/intake")
    settings = IntakeSettings()
    assert settings.kafka_bootstrap_servers == "kafka:9092"
    assert settings.database_url == "postgresql://intake@db/intake"


def test_production_refuses_the_development_key_encryption_key() -> None:
    with pytest.raises(ValidationError, match="key_encryption_key"):
        CommonSettings(environment=Environment.PRODUCTION)


def test_production_refuses_the_development_key_among_the_retired_ones() -> None:
    with pytest.raises(ValidationError, match="secrets: retired_key_encryption_keys") as refused:
        CommonSettings(
            environment=Environment.PRODUCTION,
            key_encryption_key=REAL_KEY,
            retired_key_encryption_keys=f"{OLD_KEY},{DEV_KEY_ENCRYPTION_KEY}",
        )
    assert DEV_KEY_ENCRYPTION_KEY not in str(refused.value)
    assert OLD_KEY not in str(refused.value)


def test_settings_errors_never_quote_a_secret() -> None:
    with pytest.raises(ValidationError) as refused:
        CommonSettings(key_encryption_key=REAL_KEY, retired_key_encryption_keys="not-a-key-abc")
    assert "a key-encryption key is base64 of 32 random bytes" in str(refused.value)
    assert "not-a-key-abc" not in str(refused.value) and REAL_KEY not in str(refused.value)


def test_the_key_ring_holds_the_current_key_and_the_retired_ones() -> None:
    settings = CommonSettings(
        key_encryption_key=REAL_KEY, retired_key_encryption_keys=f" {OLD_KEY} ,"
    )
    ring = KeyRing.from_settings(settings)
    old = KeyEncryptionKey.from_base64(OLD_KEY)
    assert ring.current == KeyEncryptionKey.from_base64(REAL_KEY)
    assert ring.get(old.key_id) == old
    assert KeyRing.from_settings(CommonSettings()).current.key_id != ring.current.key_id


def test_the_inbox_must_outlive_the_topics_retention() -> None:
    with pytest.raises(ValidationError, match="inbox_retention_hours must exceed"):
        CommonSettings(inbox_retention_hours=24 * 7, kafka_topic_retention_hours=24 * 14)


def test_production_starts_with_real_secrets_and_turns_development_conveniences_off() -> None:
    settings = CommonSettings(environment=Environment.PRODUCTION, key_encryption_key=REAL_KEY)
    assert not settings.should_migrate_on_start
    assert not settings.show_docs


def test_development_migrates_on_start_and_shows_docs() -> None:
    settings = CommonSettings()
    assert settings.should_migrate_on_start
    assert settings.show_docs


def test_token_leeway_is_capped_at_sixty_seconds() -> None:
    with pytest.raises(ValidationError):
        CommonSettings(oidc_leeway_s=61)


def _failing_router() -> APIRouter:
    router = APIRouter()

    @router.get("/boom", name="boom", response_model=dict)
    async def boom() -> dict:
        """Fail the way a bug would."""
        raise RuntimeError("a detail only the logs may see")

    return router


@pytest.fixture
def app_for(tmp_path: Path, identity_provider: RunningIdentityProvider) -> Callable[..., FastAPI]:
    def build(**overrides: object) -> FastAPI:
        settings = CommonSettings(oidc_issuer=identity_provider.issuer, **overrides)
        parts = default_parts(
            settings,
            migrations_package="homeward.intake.migrations",
            broker=InMemoryBroker(),
            database=Database(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"),
            token_validator=identity_provider.validator(),
        )
        return create_service_app(parts, routers=[_failing_router()], title="t", description="t")

    return build


async def _get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
        return await http.get(path)


async def test_production_serves_no_interactive_docs_unless_enabled(
    app_for: Callable[..., FastAPI],
) -> None:
    production = app_for(environment=Environment.PRODUCTION, key_encryption_key=REAL_KEY)
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert (await _get(production, path)).status_code == 404, path
    enabled = app_for(
        environment=Environment.PRODUCTION, key_encryption_key=REAL_KEY, docs_enabled=True
    )
    assert (await _get(enabled, "/docs")).status_code == 200
    assert (await _get(enabled, "/openapi.json")).status_code == 200
    assert (await _get(app_for(), "/docs")).status_code == 200  # development


async def test_debug_is_off_and_a_bug_answers_without_a_traceback(
    app_for: Callable[..., FastAPI],
) -> None:
    for app in (
        app_for(),
        app_for(environment=Environment.PRODUCTION, key_encryption_key=REAL_KEY),
    ):
        assert app.debug is False
        response = await _get(app, "/boom")
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert "Traceback" not in response.text and "only the logs" not in response.text
