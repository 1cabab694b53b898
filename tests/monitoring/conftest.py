"""The monitoring files as data, and what each service really serves on /metrics."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

import homeward.common.metrics as metrics
from homeward.common.db import Database
from homeward.common.events import InMemoryBroker
from tests.monitoring.promql import Exposition
from tests.notifications.conftest import notifications, smtp  # noqa: F401 (the harness)

MONITORING = Path(__file__).resolve().parents[2] / "deploy" / "monitoring"
SERVICES = ("intake", "referrals", "documents", "notifications")


def load_yaml(name: str) -> Any:
    return yaml.safe_load((MONITORING / name).read_text())


@pytest.fixture(scope="session")
def prometheus_config() -> dict[str, Any]:
    return load_yaml("prometheus.yml")


@pytest.fixture(scope="session")
def alert_rules() -> dict[str, Any]:
    return load_yaml("alerts.yml")


@pytest.fixture(scope="session")
def dashboard() -> dict[str, Any]:
    return json.loads((MONITORING / "grafana" / "homeward-dashboard.json").read_text())


def target_labels(config: dict[str, Any]) -> set[str]:
    """Labels the scrape configuration puts on every series of its targets."""
    labels: set[str] = set()
    for job in config["scrape_configs"]:
        for rule in job.get("relabel_configs", []):
            if not rule.get("target_label", "__").startswith("__"):
                labels.add(rule["target_label"])
        for static in job.get("static_configs", []):
            labels.update(static.get("labels", {}))
    return labels


def label_names() -> dict[str, tuple[str, ...]]:
    """Every Homeward metric family and its label names (a family without samples shows no
    labels in the text format, so they come from the metric objects)."""
    return {
        metric._name: tuple(metric._labelnames)  # private in prometheus_client
        for metric in vars(metrics).values()
        if isinstance(metric, MetricWrapperBase)
    }


async def served_metrics(service: str, tmp_path: Path) -> str:
    """`/metrics` of a service app built by its own wiring function (no lifespan: nothing
    connects), as Prometheus would scrape it from the metrics port."""
    app_module = importlib.import_module(f"homeward.{service}.app")
    settings_module = importlib.import_module(f"homeward.{service}.settings")
    settings_class = getattr(settings_module, f"{service.capitalize()}Settings")
    settings = settings_class(database_url=f"sqlite:///{tmp_path / service}.db")
    database = Database(settings.database_url)
    app = app_module.create_app(settings, broker=InMemoryBroker(), database=database)
    try:
        api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc")
        scraper = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=metrics.metrics_app()), base_url="http://svc:9400"
        )
        async with api, scraper:
            assert (await api.get("/metrics")).status_code == 404  # never on the API port
            response = await scraper.get("/metrics")
    finally:
        await database.dispose()
    assert response.status_code == 200
    return response.text


@pytest.fixture
async def expositions(tmp_path: Path, prometheus_config: dict[str, Any]) -> dict[str, Exposition]:
    names, extra = label_names(), target_labels(prometheus_config)
    return {
        service: Exposition.parse(await served_metrics(service, tmp_path), names, extra)
        for service in SERVICES
    }
