"""deploy/k8s: the base and the production overlay, rendered by kubectl's kustomize, are valid
Kubernetes resources; every Deployment is probed, locked down and has its Service, autoscaler,
disruption budget and network policy; every secret it reads is documented."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import kubernetes_validate
import pytest

from homeward.common.settings import CommonSettings
from tests.deploy.helpers import (
    ADMIN_ENV,
    ROOT,
    SERVICES,
    env_names,
    kustomize,
    load_documents,
    settings_class,
)

BASE = "deploy/k8s/base"
PRODUCTION = "deploy/k8s/overlays/production"
RENDERS = (BASE, PRODUCTION)
# The newest Kubernetes the schemas know, and for production also the oldest still widely run.
LATEST = kubernetes_validate.utils.latest_version()
SCHEMA_CHECKS = [(BASE, LATEST), (PRODUCTION, LATEST), (PRODUCTION, "1.31")]
README = ROOT / "deploy" / "k8s" / "README.md"
WORKLOADS = ("Deployment", "Job")

Resource = dict[str, Any]


def of_kind(resources: tuple[Resource, ...], kind: str) -> list[Resource]:
    return [doc for doc in resources if doc["kind"] == kind]


def named(resources: tuple[Resource, ...], kind: str, prefix: str) -> Resource:
    """The one resource of `kind` whose name starts with `prefix` (generated names get a hash)."""
    (found,) = [
        doc for doc in of_kind(resources, kind) if doc["metadata"]["name"].startswith(prefix)
    ]
    return found


def selects(selector: Resource, labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, "only matchLabels selectors are checked here"
    wanted = selector.get("matchLabels", {})
    return bool(wanted) and all(labels.get(key) == value for key, value in wanted.items())


def pod_specs(resources: tuple[Resource, ...]) -> Iterator[tuple[Resource, Resource]]:
    for doc in resources:
        if doc["kind"] in WORKLOADS:
            yield doc, doc["spec"]["template"]["spec"]


def service_of(deployment: Resource) -> str:
    return deployment["metadata"]["name"].removeprefix("homeward-")


@pytest.mark.parametrize(("render", "version"), SCHEMA_CHECKS)
def test_every_resource_matches_the_kubernetes_schema(render: str, version: str) -> None:
    resources = kustomize(render)
    assert resources
    for doc in resources:
        kubernetes_validate.validate(doc, version, strict=True)


def test_the_schema_check_rejects_a_misspelt_field() -> None:
    deployment = copy.deepcopy(of_kind(kustomize(BASE), "Deployment")[0])
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, LATEST, strict=True)


def test_one_deployment_per_service() -> None:
    for render in RENDERS:
        names = {doc["metadata"]["name"] for doc in of_kind(kustomize(render), "Deployment")}
        assert names == {f"homeward-{service}" for service in SERVICES}


@pytest.mark.parametrize("render", RENDERS)
def test_deployments_are_probed_on_health_and_readiness(render: str) -> None:
    for deployment in of_kind(kustomize(render), "Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            ports = {port["name"] for port in container["ports"]}
            probes = {
                kind: container[kind]["httpGet"]
                for kind in ("startupProbe", "readinessProbe", "livenessProbe")
            }
            assert probes["readinessProbe"]["path"] == "/readyz"
            assert probes["livenessProbe"]["path"] == "/healthz"
            assert probes["startupProbe"]["path"] == "/healthz"
            assert {probe["port"] for probe in probes.values()} <= ports
            assert container["resources"]["requests"] and container["resources"]["limits"]


@pytest.mark.parametrize("render", RENDERS)
def test_pods_run_as_non_root_on_a_read_only_filesystem(render: str) -> None:
    workloads = list(pod_specs(kustomize(render)))
    assert len(workloads) == len(SERVICES) + 1  # and the setup job
    for workload, spec in workloads:
        name = workload["metadata"]["name"]
        assert spec["automountServiceAccountToken"] is False, name
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] != 0, name
        assert pod["seccompProfile"]["type"] == "RuntimeDefault", name
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["runAsNonRoot"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["capabilities"] == {"drop": ["ALL"]}, name


@pytest.mark.parametrize("render", RENDERS)
def test_every_deployment_has_its_service_autoscaler_budget_and_policy(render: str) -> None:
    resources = kustomize(render)
    for deployment in of_kind(resources, "Deployment"):
        name = deployment["metadata"]["name"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selects(deployment["spec"]["selector"], labels), name
        port_names = {
            port["name"]
            for container in deployment["spec"]["template"]["spec"]["containers"]
            for port in container["ports"]
        }
        services = [
            svc
            for svc in of_kind(resources, "Service")
            if selects({"matchLabels": svc["spec"]["selector"]}, labels)
        ]
        assert len(services) == 1, name
        assert {port["targetPort"] for port in services[0]["spec"]["ports"]} <= port_names
        target = {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        autoscalers = [
            hpa
            for hpa in of_kind(resources, "HorizontalPodAutoscaler")
            if hpa["spec"]["scaleTargetRef"] == target
        ]
        assert len(autoscalers) == 1, name
        hpa = autoscalers[0]["spec"]
        assert hpa["minReplicas"] <= deployment["spec"]["replicas"] <= hpa["maxReplicas"], name
        # More consumer replicas than an event topic's partitions would idle.
        assert hpa["maxReplicas"] <= event_topic_partitions(), name
        budgets = [
            pdb
            for pdb in of_kind(resources, "PodDisruptionBudget")
            if selects(pdb["spec"]["selector"], labels)
        ]
        assert len(budgets) == 1, name
        assert hpa["minReplicas"] >= 2, f"{name}: a budget needs more than one replica"
        policies = [
            policy
            for policy in of_kind(resources, "NetworkPolicy")
            if selects(policy["spec"]["podSelector"], labels)
        ]
        types = {kind for policy in policies for kind in policy["spec"]["policyTypes"]}
        assert {"Ingress", "Egress"} <= types, name


def event_topic_partitions() -> int:
    topics = load_documents(ROOT / "deploy" / "kafka" / "topics.yaml")
    return min(
        doc["spec"]["partitions"]
        for doc in topics
        if not doc["spec"]["topicName"].endswith(".deadletter")
    )


def test_network_policies_admit_only_the_ingress_controller_and_prometheus() -> None:
    api = named(kustomize(BASE), "NetworkPolicy", "homeward-api")
    sources = [peer for rule in api["spec"]["ingress"] for peer in rule["from"]]
    namespaces = {
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for peer in sources
    }
    assert namespaces == {"ingress-nginx", "monitoring"}
    for rule in api["spec"]["egress"]:
        for peer in rule["to"]:
            assert "ipBlock" not in peer, "the API pods talk to known namespaces only"


@pytest.mark.parametrize("render", RENDERS)
def test_metrics_are_scraped_on_a_port_only_prometheus_reaches(render: str) -> None:
    resources = kustomize(render)
    for deployment in of_kind(resources, "Deployment"):
        template = deployment["spec"]["template"]
        [container] = template["spec"]["containers"]
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        assert ports["metrics"] != ports["http"]
        assert template["metadata"]["annotations"]["prometheus.io/port"] == str(ports["metrics"])
        command = container["command"]
        assert command[command.index("--metrics-port") + 1] == str(ports["metrics"])
    for service in of_kind(resources, "Service"):
        assert {port["targetPort"] for port in service["spec"]["ports"]} == {"http"}
    api = named(resources, "NetworkPolicy", "homeward-api")
    by_namespace = {
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]: {
            port["port"] for port in rule["ports"]
        }
        for rule in api["spec"]["ingress"]
        for peer in rule["from"]
    }
    assert by_namespace == {"ingress-nginx": {"http"}, "monitoring": {"metrics"}}


def test_webhooks_cannot_reach_private_or_metadata_addresses() -> None:
    policy = named(kustomize(BASE), "NetworkPolicy", "homeward-notifications-egress")
    https_only = [{"port": 443, "protocol": "TCP"}]
    (https,) = [rule for rule in policy["spec"]["egress"] if rule["ports"] == https_only]
    v4 = next(peer["ipBlock"] for peer in https["to"] if peer["ipBlock"]["cidr"] == "0.0.0.0/0")
    private = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8"}
    assert private <= set(v4["except"])


def documented_secrets() -> set[tuple[str, str]]:
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| `([A-Za-z0-9_]+)` \|", README.read_text(), re.M)
    return set(rows)


def referenced_secrets(resources: tuple[Resource, ...]) -> set[tuple[str, str]]:
    found = set()
    for _, spec in pod_specs(resources):
        for container in spec["containers"]:
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    found.add((ref["name"], ref["key"]))
            assert not any("secretRef" in source for source in container.get("envFrom", []))
    return found


@pytest.mark.parametrize("render", RENDERS)
def test_every_secret_read_is_documented_and_every_documented_secret_read(render: str) -> None:
    assert referenced_secrets(kustomize(render)) == documented_secrets()


def test_each_service_reads_only_its_own_secrets() -> None:
    for deployment in of_kind(kustomize(BASE), "Deployment"):
        own = f"{deployment['metadata']['name']}-secrets"
        assert {name for name, _ in referenced_secrets((deployment,))} == {own}


@pytest.mark.parametrize("render", RENDERS)
def test_every_variable_is_read_by_the_settings(render: str) -> None:
    resources = kustomize(render)
    config_maps = {doc["metadata"]["name"]: doc["data"] for doc in of_kind(resources, "ConfigMap")}
    admin_readable = ADMIN_ENV | env_names(CommonSettings)
    for workload, spec in pod_specs(resources):
        if workload["kind"] == "Deployment":
            readable = env_names(settings_class(service_of(workload)))
        else:
            readable = admin_readable
        for container in spec["containers"]:
            names = {variable["name"] for variable in container.get("env", [])}
            for source in container.get("envFrom", []):
                names |= set(config_maps[source["configMapRef"]["name"]])  # and it exists
            assert names <= readable, (workload["metadata"]["name"], names - readable)


@pytest.mark.parametrize("render", RENDERS)
def test_configuration_is_for_production(render: str) -> None:
    resources = kustomize(render)
    data = named(resources, "ConfigMap", "homeward-config")["data"]
    assert data["HOMEWARD_ENVIRONMENT"] == "production"
    assert data["HOMEWARD_KAFKA_IDEMPOTENCE"] == "true"
    assert data["HOMEWARD_OIDC_ISSUER"].endswith("/realms/homeward")
    if render == PRODUCTION:
        assert data["HOMEWARD_OIDC_ISSUER"].startswith("https://")


def test_setup_job_creates_topics_and_migrates() -> None:
    (job,) = of_kind(kustomize(BASE), "Job")
    spec = job["spec"]["template"]["spec"]
    assert spec["restartPolicy"] == "Never"
    (container,) = spec["containers"]
    script = container["command"][-1]
    assert container["command"][:2] == ["sh", "-ec"]
    assert "homeward topics create " in script and "homeward migrate --all" in script
    assert script.index("topics create") < script.index("migrate --all")


def test_production_overlay_sets_namespace_images_and_scale() -> None:
    resources = kustomize(PRODUCTION)
    (namespace,) = of_kind(resources, "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for doc in resources:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == namespace["metadata"]["name"], doc["kind"]
    for _, spec in pod_specs(resources):
        for container in spec["containers"]:
            image = container["image"]
            assert re.fullmatch(r"[a-z0-9.-]+\.[a-z]+/homeward/[a-z]+:[\w.-]+", image), image
    for deployment in of_kind(resources, "Deployment"):
        assert deployment["spec"]["replicas"] >= 3
