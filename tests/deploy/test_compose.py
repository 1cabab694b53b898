"""docker-compose.yml: valid against the Compose Specification, health-gated start-up, secrets
that stop start-up when missing, and every variable one the services actually read."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from homeward.common.settings import CommonSettings
from tests.deploy.helpers import ADMIN_ENV, ROOT, SERVICES, env_names, settings_class

COMPOSE_FILE = ROOT / "docker-compose.yml"
EXAMPLE_ENV = ROOT / "deploy" / "compose.env.example"
INIT_SCRIPT = ROOT / "deploy" / "postgres" / "init-databases.sh"
SCHEMA = Path(__file__).with_name("compose-spec.json")
SETUP = "homeward-setup"
INFRA = ("kafka", "postgres", "keycloak")
VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<modifier>[^}]*)\}")
SECRET_LIKE = re.compile(r"PASSWORD|SECRET|TOKEN|KEY")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def compose_text() -> str:
    """The file without its comment lines (the header shows the syntax it explains)."""
    lines = COMPOSE_FILE.read_text().splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("#"))


def required_variables() -> set[str]:
    return {
        match["name"]
        for match in VARIABLE.finditer(compose_text())
        if match["modifier"].startswith(":?")
    }


def homeward_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: compose["services"][name] for name in SERVICES}


def test_compose_file_matches_the_compose_specification(
    compose: dict[str, Any], validator: jsonschema.Draft7Validator
) -> None:
    problems = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(compose)
    ]
    assert not problems


def test_the_schema_rejects_what_compose_would_reject(
    compose: dict[str, Any], validator: jsonschema.Draft7Validator
) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"]["intake"]["healthchek"] = broken["services"]["intake"].pop("healthcheck")
    assert not validator.is_valid(broken)


def test_every_long_running_container_has_a_healthcheck(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if name == SETUP:
            continue
        healthcheck = service.get("healthcheck", {})
        assert healthcheck.get("test") and not healthcheck.get("disable"), name
        assert healthcheck["test"][0] in ("CMD", "CMD-SHELL"), name


def test_services_start_after_healthy_infrastructure_and_the_setup_job(
    compose: dict[str, Any],
) -> None:
    for name, service in homeward_services(compose).items():
        depends = service["depends_on"]
        assert depends[SETUP]["condition"] == "service_completed_successfully", name
        for infra in INFRA:
            assert depends[infra]["condition"] == "service_healthy", (name, infra)
    assert compose["services"]["notifications"]["depends_on"]["mailpit"]["condition"] == (
        "service_healthy"
    )
    setup = compose["services"][SETUP]
    assert setup["restart"] == "no"
    for infra in INFRA:
        assert setup["depends_on"][infra]["condition"] == "service_healthy"
    for service in compose["services"].values():
        for target, condition in service.get("depends_on", {}).items():
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in compose["services"][target], target


def test_setup_job_creates_topics_migrates_then_checks(compose: dict[str, Any]) -> None:
    setup = compose["services"][SETUP]
    assert setup["build"]["dockerfile"] == "deploy/admin.Dockerfile"
    script = setup["command"][-1]
    topics, migrate, check = (line.strip() for line in script.strip().splitlines())
    assert topics.startswith("homeward topics create ")
    assert "--replication-factor 1 --min-insync-replicas 1" in topics  # one broker
    assert (migrate, check) == ("homeward migrate --all", "homeward check")
    assert setup["command"][:2] == ["sh", "-ec"]  # stops at the first failure


def test_secrets_stop_start_up_when_missing() -> None:
    for match in VARIABLE.finditer(compose_text()):
        modifier = match["modifier"]
        # Every variable either has a harmless default or is required; none is silently empty.
        assert modifier.startswith((":?", ":-")), match[0]
        if SECRET_LIKE.search(match["name"]):
            assert modifier.startswith(":?"), match[0]
    assert {
        "POSTGRES_PASSWORD",
        "KEYCLOAK_ADMIN_PASSWORD",
        "HOMEWARD_KEY_ENCRYPTION_KEY",
        *(f"{service.upper()}_DB_PASSWORD" for service in SERVICES),
    } <= required_variables()


def test_no_secret_value_is_written_in_the_file(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_LIKE.search(key):
                assert isinstance(value, str) and VARIABLE.search(value), (name, key)


def test_example_env_lists_every_required_variable_empty() -> None:
    lines = [
        line
        for line in EXAMPLE_ENV.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    values = dict(line.split("=", 1) for line in lines)
    assert set(values) == required_variables()
    # Empty, so an unfilled copy stops `docker compose up` instead of running on known values.
    assert all(value == "" for value in values.values())
    assert "base64.b64encode(os.urandom(32))" in EXAMPLE_ENV.read_text()


def test_services_run_in_production_against_the_compose_infrastructure(
    compose: dict[str, Any],
) -> None:
    keycloak = compose["services"]["keycloak"]["environment"]
    realm = json.loads((ROOT / "deploy" / "keycloak" / "homeward-realm.json").read_text())
    issuer = f"{keycloak['KC_HOSTNAME']}/realms/{realm['realm']}"
    assert keycloak["KC_HEALTH_ENABLED"] == "true"
    for name, service in homeward_services(compose).items():
        env = service["environment"]
        assert env["HOMEWARD_ENVIRONMENT"] == "production", name
        assert env["HOMEWARD_KAFKA_IDEMPOTENCE"] == "true", name
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092", name
        # The issuer the services expect is the one Keycloak writes in its tokens.
        assert env["HOMEWARD_OIDC_ISSUER"] == issuer, name
        assert env["DATABASE_URL"] == database_url(name), name
    notifications = compose["services"]["notifications"]["environment"]
    assert notifications["HOMEWARD_SMTP_HOST"] == "mailpit"
    assert notifications["HOMEWARD_SMTP_PORT"] == "1025"


def database_url(service: str) -> str:
    password = f"${{{service.upper()}_DB_PASSWORD:?set {service.upper()}_DB_PASSWORD}}"
    return f"postgresql+asyncpg://{service}:{password}@postgres:5432/{service}"


def test_setup_job_migrates_each_database_as_its_own_role(compose: dict[str, Any]) -> None:
    env = compose["services"][SETUP]["environment"]
    for service in SERVICES:
        assert env[f"HOMEWARD_{service.upper()}_DATABASE_URL"] == database_url(service)


def test_postgres_init_script_creates_a_database_per_password(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert (
        "./deploy/postgres/init-databases.sh:/docker-entrypoint-initdb.d/10-homeward.sh:ro"
        in postgres["volumes"]
    )
    created = dict(
        re.findall(r'^create_database (\w+) "\$\{(\w+):\?', INIT_SCRIPT.read_text(), re.M)
    )
    passwords = {key for key in postgres["environment"] if key.endswith("_DB_PASSWORD")}
    assert set(created.values()) == passwords
    assert {f"{name.upper()}_DB_PASSWORD" for name in created} == passwords
    assert set(SERVICES) <= set(created)
    assert os.access(INIT_SCRIPT, os.X_OK)


def test_every_homeward_variable_is_read_by_the_settings(compose: dict[str, Any]) -> None:
    for name, service in homeward_services(compose).items():
        unknown = set(service["environment"]) - env_names(settings_class(name))
        assert not unknown, name
    readable = ADMIN_ENV | env_names(CommonSettings)
    for service in SERVICES:
        readable |= env_names(settings_class(service))
    assert not set(compose["services"][SETUP]["environment"]) - readable


def compose_command() -> list[str] | None:
    """`docker compose` (the plugin) or a standalone `docker-compose` v2, when installed."""
    candidates = [["docker", "compose"], ["docker-compose"]]
    for command in candidates:
        if shutil.which(command[0]) is None:
            continue
        probe = subprocess.run([*command, "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return command
    return None


def test_docker_compose_accepts_the_file_with_secrets_set() -> None:
    command = compose_command()
    if command is None:
        pytest.skip("no docker compose here (the schema test above covers the file)")
    env = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    base = [*command, "--env-file", os.devnull, "-f", str(COMPOSE_FILE)]
    missing = subprocess.run(
        [*base, "config", "--quiet"], env=env, capture_output=True, text=True, timeout=60
    )
    assert missing.returncode != 0
    assert any(name in missing.stderr for name in required_variables()), missing.stderr
    filled = env | {name: "placeholder" for name in required_variables()}
    result = subprocess.run(
        [*base, "config", "--quiet"], env=filled, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_every_mounted_file_of_the_repository_exists(compose: dict[str, Any]) -> None:
    mounts = [
        volume.split(":", 1)[0]
        for service in compose["services"].values()
        for volume in service.get("volumes", [])
        if isinstance(volume, str) and volume.startswith("./")
    ]
    assert "./deploy/monitoring/prometheus.yml" in mounts  # the monitoring profile's files
    assert [m for m in mounts if not (ROOT / m).exists()] == []


def test_monitoring_runs_only_when_asked_for(compose: dict[str, Any]) -> None:
    for name in ("prometheus", "grafana"):
        assert compose["services"][name]["profiles"] == ["monitoring"]
