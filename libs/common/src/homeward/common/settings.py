"""Settings shared by every service: one pydantic-settings class per service on this base.

Values come from the environment (prefix `HOMEWARD_`, plus the conventional unprefixed
`KAFKA_BOOTSTRAP_SERVERS` and `DATABASE_URL`). Outside development, the development defaults
of secrets are refused at start-up, so a forgotten secret stops a deployment instead of
quietly protecting real identities with a key from the repository.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development-only values. Known to everyone who reads this file, hence refused in production.
DEV_KEY_ENCRYPTION_KEY = "ZGV2LW9ubHkta2V5LWVuY3J5cHRpb24ta2V5LTMyYnk="  # 32 bytes, base64


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class CommonSettings(BaseSettings):
    """What every Homeward service needs to run; subclass it and set `service_name`."""

    model_config = SettingsConfigDict(env_prefix="HOMEWARD_", extra="ignore", frozen=True)

    service_name: ClassVar[str] = "common"

    environment: Environment = Environment.DEVELOPMENT
    log_level: str = "INFO"
    public_base_url: str = "http://127.0.0.1:8400"
    docs_enabled: bool | None = Field(
        default=None, description="Interactive API docs; default on except in production"
    )

    # Data: SQLite file per service in the embedded default, PostgreSQL (asyncpg) in production.
    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("HOMEWARD_DATABASE_URL", "DATABASE_URL"),
        description="default: var/data/<service>.db (SQLite) under the working directory",
    )
    database_echo: bool = False
    migrate_on_start: bool | None = Field(
        default=None, description="Run migrations at start-up; default on in development only"
    )

    # Events.
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices(
            "HOMEWARD_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS"
        ),
    )
    # Tansu rejects idempotent producers; Apache Kafka wants them. Hence a setting.
    kafka_idempotence: bool = False
    kafka_session_timeout_ms: int = 10_000
    kafka_heartbeat_interval_ms: int = 3_000
    kafka_fetch_max_wait_ms: int = 100
    kafka_default_partitions: int = 3
    relay_poll_interval_s: float = 1.0
    relay_batch_size: int = 200
    # Retention of the event tables. The inbox must outlive the topics' retention, or a
    # consumer that rewinds could apply an event twice.
    outbox_retention_hours: float = 24 * 7
    inbox_retention_hours: float = 24 * 30
    event_pruning_interval_s: float = 3600
    consumer_max_attempts: int = 5
    consumer_backoff_initial_s: float = 0.2
    consumer_backoff_max_s: float = 10.0

    # Auth: tokens are validated locally against the issuer's JWKS.
    oidc_issuer: str = "http://127.0.0.1:8400/realms/homeward"
    oidc_audience: str = "homeward-api"
    oidc_algorithms: tuple[str, ...] = ("RS256", "PS256", "ES256")
    oidc_leeway_s: int = Field(default=30, ge=0, le=60)
    oidc_jwks_min_refetch_s: float = 30.0

    # Identity vault: wraps the per-case data keys (AES-256-GCM).
    key_encryption_key: SecretStr = SecretStr(DEV_KEY_ENCRYPTION_KEY)

    max_body_bytes: int = 1024 * 1024
    max_page_size: int = 100

    # Secret fields whose development default must never reach production.
    dev_secret_defaults: ClassVar[dict[str, str]] = {"key_encryption_key": DEV_KEY_ENCRYPTION_KEY}

    @property
    def is_development(self) -> bool:
        return self.environment is not Environment.PRODUCTION

    @property
    def should_migrate_on_start(self) -> bool:
        return self.is_development if self.migrate_on_start is None else self.migrate_on_start

    @property
    def show_docs(self) -> bool:
        return self.is_development if self.docs_enabled is None else self.docs_enabled

    @model_validator(mode="after")
    def _default_database_per_service(self) -> CommonSettings:
        if not self.database_url:
            url = f"sqlite+aiosqlite:///var/data/{self.service_name}.db"
            object.__setattr__(self, "database_url", url)  # settings are frozen once built
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> CommonSettings:
        if self.environment is not Environment.PRODUCTION:
            return self
        offending = [
            name
            for name, default in self.dev_secret_defaults.items()
            if _secret_value(getattr(self, name)) == default
        ]
        if offending:
            raise ValueError(
                "refusing to start in production with development secrets: "
                + ", ".join(sorted(offending))
                + " (set them in the environment)"
            )
        return self


def _secret_value(value: object) -> object:
    return value.get_secret_value() if isinstance(value, SecretStr) else value
