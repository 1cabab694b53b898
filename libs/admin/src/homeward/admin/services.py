"""The services as the operators' command sees them: settings, database, migrations, topics.

Each service's database comes from `HOMEWARD_<SERVICE>_DATABASE_URL` when set (one job can
then reach every service's database), else from that service's own settings and defaults.
Only settings are imported up front: the rest of a service comes with the command needing it.
"""

from __future__ import annotations

import functools
import importlib
import os
from dataclasses import dataclass
from typing import ClassVar

from pydantic import ValidationError

from homeward.common.settings import CommonSettings
from homeward.console.settings import ConsoleSettings
from homeward.documents.settings import DocumentsSettings
from homeward.intake.settings import IntakeSettings
from homeward.notifications.settings import NotificationsSettings
from homeward.referrals.settings import ReferralsSettings


class AdminError(Exception):
    """An operation failed; the message is one line for the operator (exit code 1)."""


class UsageError(AdminError):
    """The command was asked for something it cannot do as asked (exit code 2)."""


class SettingsInvalid(AdminError):
    """Settings that do not load, as the service itself would refuse them."""

    def __init__(self, scope: str, error: ValidationError) -> None:
        self.problem = validation_message(error)
        super().__init__(f"{scope} settings: {self.problem}")


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    settings_class: type[CommonSettings]
    # The console keeps sessions only: a database to migrate, no events, topics or outbox.
    evented: bool = True

    @property
    def migrations_package(self) -> str:
        return f"homeward.{self.name}.migrations"

    @property
    def database_env(self) -> str:
        return f"HOMEWARD_{self.name.upper()}_DATABASE_URL"

    @property
    def dead_letter_topic(self) -> str:
        from homeward.common.events import dead_letter_topic

        return dead_letter_topic(self.name)


SERVICES: dict[str, ServiceSpec] = {
    spec.name: spec
    for spec in (
        ServiceSpec("intake", IntakeSettings),
        ServiceSpec("referrals", ReferralsSettings),
        ServiceSpec("documents", DocumentsSettings),
        ServiceSpec("notifications", NotificationsSettings),
        ServiceSpec("console", ConsoleSettings, evented=False),
    )
}
# The services with topics, dead letters and an outbox.
EVENTED: dict[str, ServiceSpec] = {name: found for name, found in SERVICES.items() if found.evented}


def spec(service: str) -> ServiceSpec:
    try:
        return SERVICES[service]
    except KeyError:
        raise UsageError(f"unknown service {service!r} (one of {', '.join(SERVICES)})") from None


def load_settings(service: str, *, secrets: bool = True) -> CommonSettings:
    """The service's settings from the environment, refused where the service would refuse
    them. With `secrets=False` a secret left at its development default is not refused: the
    commands that use no secret (migrations, dead letters, the outbox) then run where none is
    given, such as the setup job before a rollout."""
    found = spec(service)
    overrides = {}
    if url := os.environ.get(found.database_env):
        overrides["database_url"] = url
    settings_class = found.settings_class if secrets else _without_secrets(found.settings_class)
    try:
        return settings_class(**overrides)
    except ValidationError as error:
        raise SettingsInvalid(service, error) from None


def load_common_settings() -> CommonSettings:
    """What every service shares (the broker, topic defaults), for commands on no service;
    it needs no secret."""
    try:
        return _without_secrets(CommonSettings)()
    except ValidationError as error:
        raise SettingsInvalid("common", error) from None


@functools.cache
def _without_secrets(settings_class: type[CommonSettings]) -> type[CommonSettings]:
    class WithoutSecrets(settings_class):  # type: ignore[valid-type, misc]
        dev_secret_defaults: ClassVar[dict[str, str]] = {}

    return WithoutSecrets


def validation_message(error: ValidationError) -> str:
    """Where and why, never the value: settings hold secrets."""
    problems = []
    for problem in error.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)


def event_topics() -> list[str]:
    """Every topic an event contract names, once every service has registered its contracts."""
    from homeward.common.events import registry

    for name in EVENTED:
        importlib.import_module(f"homeward.{name}.app")  # registers what the service publishes
    return registry.topics()


def homeward_topics() -> list[str]:
    return sorted({*event_topics(), *(found.dead_letter_topic for found in EVENTED.values())})
