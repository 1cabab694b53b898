"""Settings shared by every service: one pydantic-settings class per service on this base.

Values come from the environment (prefix `HOMEWARD_`, plus the conventional unprefixed
`KAFKA_BOOTSTRAP_SERVERS` and `DATABASE_URL`). Outside development, the development defaults
of secrets are refused at start-up, so a forgotten secret stops a deployment instead of
quietly protecting real identities with a key from the repository.
"""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum
from typing import ClassVar

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development-only values. Known to everyone who reads this file, hence refused in production.
DEV_KEY_ENCRYPTION_KEY = "ZGV2LW9ubHkta2V5LWVuY3J5cHRpb24ta2V5LTMyYnk="  # 32 bytes, base64


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class CommonSettings(BaseSettings):
    """What every Homeward service needs to run; subclass it and set `service_name`."""

    # Errors never quote the input: it holds the secrets.
    model_config = SettingsConfigDict(
        env_prefix="HOMEWARD_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

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
    # Topics as `homeward topics create` makes them: one replica and min.insync.replicas 1
    # work on any broker; a production cluster asks for more.
    kafka_replication_factor: int = Field(default=1, ge=1)
    kafka_min_insync_replicas: int = Field(default=1, ge=1)
    kafka_topic_retention_hours: float = Field(default=24 * 14, gt=0)
    kafka_dead_letter_retention_hours: float = Field(default=24 * 30, gt=0)
    relay_poll_interval_s: float = 1.0
    relay_batch_size: int = 200
    # Retention of the event tables. The inbox must outlive the topics' retention (checked
    # below), or a consumer that rewinds could apply an event twice.
    outbox_retention_hours: float = 24 * 7
    inbox_retention_hours: float = 24 * 30
    # How long an Idempotency-Key's first answer is kept (`idempotency.py`): 24 h at least.
    idempotency_retention_hours: float = Field(default=48, ge=24)
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

    # Identity vault: the current key-encryption key wraps new data keys (AES-256-GCM); retired
    # ones (comma-separated, base64) still unwrap old ones until `homeward keys rotate` has
    # re-wrapped them all. Rotation: deploy the new key here and the old one as retired,
    # rotate, then drop the retired key.
    key_encryption_key: SecretStr = SecretStr(DEV_KEY_ENCRYPTION_KEY)
    retired_key_encryption_keys: SecretStr = SecretStr("")

    # Prometheus scrapes /metrics on this port, never on the API's (agency ids, outcomes).
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, description="default: the API port + 1000"
    )

    max_body_bytes: int = 1024 * 1024
    max_page_size: int = 100

    # Secret fields whose development value must never reach production (a list-valued
    # secret is refused when any of its comma-separated items is the development value).
    dev_secret_defaults: ClassVar[dict[str, str]] = {
        "key_encryption_key": DEV_KEY_ENCRYPTION_KEY,
        "retired_key_encryption_keys": DEV_KEY_ENCRYPTION_KEY,
    }

    @property
    def is_development(self) -> bool:
        return self.environment is not Environment.PRODUCTION

    @property
    def should_migrate_on_start(self) -> bool:
        return self.is_development if self.migrate_on_start is None else self.migrate_on_start

    @property
    def show_docs(self) -> bool:
        return self.is_development if self.docs_enabled is None else self.docs_enabled

    @property
    def retired_key_encryption_key_list(self) -> list[str]:
        return _items(self.retired_key_encryption_keys.get_secret_value())

    @field_validator("key_encryption_key", "retired_key_encryption_keys")
    @classmethod
    def _keys_are_32_bytes(cls, value: SecretStr) -> SecretStr:
        for item in _items(value.get_secret_value()):
            try:
                valid = len(base64.b64decode(item, validate=True)) == 32
            except binascii.Error:
                valid = False
            if not valid:
                raise ValueError("a key-encryption key is base64 of 32 random bytes")
        return value

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
            if default in _secret_values(getattr(self, name))
        ]
        if offending:
            raise ValueError(
                "refusing to start in production with development secrets: "
                + ", ".join(sorted(offending))
                + " (set them in the environment)"
            )
        return self

    @model_validator(mode="after")
    def _inbox_outlives_the_topics(self) -> CommonSettings:
        if self.inbox_retention_hours <= self.kafka_topic_retention_hours:
            raise ValueError(
                "inbox_retention_hours must exceed kafka_topic_retention_hours: a consumer "
                "that rewinds must still recognise every event the topics keep"
            )
        return self


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _secret_values(value: object) -> set[str]:
    """The secret as a whole and each of its comma-separated items."""
    raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    return {raw, *_items(raw)}
