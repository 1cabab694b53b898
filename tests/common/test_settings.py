from __future__ import annotations

import pytest
from pydantic import ValidationError

from homeward.common.settings import CommonSettings, Environment
from homeward.intake.settings import IntakeSettings


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


def test_production_starts_with_real_secrets_and_turns_development_conveniences_off() -> None:
    settings = CommonSettings(
        environment=Environment.PRODUCTION,
        key_encryption_key="c2VjcmV0LWtleS1mcm9tLWEtdmF1bHQtMzJieXRlcw==",
    )
    assert not settings.should_migrate_on_start
    assert not settings.show_docs


def test_development_migrates_on_start_and_shows_docs() -> None:
    settings = CommonSettings()
    assert settings.should_migrate_on_start
    assert settings.show_docs


def test_token_leeway_is_capped_at_sixty_seconds() -> None:
    with pytest.raises(ValidationError):
        CommonSettings(oidc_leeway_s=61)
