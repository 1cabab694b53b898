"""The monitoring files are what Prometheus and Grafana load: a dashboard that renders, a
scrape configuration that finds the pods and compose services it should (and only those),
alerting rules of the right shape. No promtool here: the structure is checked directly, and
the Kubernetes relabelling is run on pods as the discovery describes them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import promql_parser
import pytest

from tests.monitoring.conftest import MONITORING, load_yaml
from tests.monitoring.promql import prepare
from tests.monitoring.test_queries import alert_queries, dashboard_queries, panels

DURATION = re.compile(r"^\d+[smhdw]$")
SEVERITIES = {"critical", "warning", "info"}


# --- the dashboard ---------------------------------------------------------------------------


def test_dashboard_is_a_grafana_dashboard(dashboard: dict[str, Any]) -> None:
    assert dashboard["schemaVersion"] >= 36
    assert dashboard["uid"] and dashboard["title"]
    assert "id" not in dashboard or dashboard["id"] is None  # provisioning assigns one
    names = [variable["name"] for variable in dashboard["templating"]["list"]]
    assert names[:2] == ["datasource", "service"]


def test_every_panel_has_an_id_a_place_a_datasource_and_a_query(
    dashboard: dict[str, Any],
) -> None:
    every = panels(dashboard)
    ids = [panel["id"] for panel in every]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in every:
        grid = panel["gridPos"]
        assert {"x", "y", "w", "h"} <= grid.keys(), panel["title"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip(), panel["title"]
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]


def test_no_two_panels_overlap(dashboard: dict[str, Any]) -> None:
    cells: dict[tuple[int, int], str] = {}
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


def test_the_dashboard_shows_what_operators_asked_for(dashboard: dict[str, Any]) -> None:
    exprs = " ".join(expr for _, expr, _ in dashboard_queries(dashboard))
    for wanted in (
        "histogram_quantile(0.5,", "histogram_quantile(0.95,", "histogram_quantile(0.99,",
        'status=~"4.."', 'status=~"5.."', "homeward_consumer_lag", "homeward_outbox_backlog",
        "increase(homeward_dead_letters_total", 'outcome="gave_up"',
        "homeward_email_deliveries_total", "homeward_events_published_total",
        "homeward_events_consumed_total", "homeward_notifications_created_total",
    ):  # fmt: skip
        assert wanted in exprs, wanted
    latency = [e for _, e, _ in dashboard_queries(dashboard) if "duration_seconds_bucket" in e]
    assert all("rate(" in e and "le)" in e for e in latency)


def test_every_expression_parses_as_promql(
    dashboard: dict[str, Any], alert_rules: dict[str, Any]
) -> None:
    for where, expr, _ in dashboard_queries(dashboard) + alert_queries(alert_rules):
        try:
            promql_parser.parse(prepare(expr))
        except Exception as error:  # the parser's own error type is not exported
            pytest.fail(f"{where}: {error}")


# --- the alerting rules ----------------------------------------------------------------------


def test_alerting_rules_have_the_shape_prometheus_loads(alert_rules: dict[str, Any]) -> None:
    assert set(alert_rules) == {"groups"}
    group_names = [group["name"] for group in alert_rules["groups"]]
    assert len(group_names) == len(set(group_names))
    alerts = []
    for group in alert_rules["groups"]:
        assert set(group) <= {"name", "interval", "rules", "limit"}
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "keep_firing_for", "labels",
                                 "annotations"}, rule  # fmt: skip
            alerts.append(rule["alert"])
            assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", rule["alert"])
            assert DURATION.match(rule.get("for", "0s")), rule["alert"]
            assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
            assert {"summary", "description"} <= rule["annotations"].keys(), rule["alert"]
    assert len(alerts) == len(set(alerts))


def test_the_alerts_operators_asked_for_are_there(alert_rules: dict[str, Any]) -> None:
    by_name = {
        rule["alert"]: rule["expr"] for group in alert_rules["groups"] for rule in group["rules"]
    }
    wanted = {
        "HomewardOutboxBacklogGrowing": "homeward_outbox_backlog",
        "HomewardOutboxStale": "homeward_outbox_oldest_pending_age_seconds",
        "HomewardConsumerLagHigh": "homeward_consumer_lag",
        "HomewardDeadLetter": "increase(homeward_dead_letters_total[15m])",
        "HomewardWebhookGaveUp": 'outcome="gave_up"',
        "HomewardHigh5xxRatio": 'status=~"5.."',
        "HomewardSlowRequestsP95": "histogram_quantile(0.95,",
        "HomewardIdentityBulkRead": "increase(homeward_identity_reads_refused_total[15m])",
    }
    for alert, text in wanted.items():
        assert text in by_name[alert], alert


# --- the scrape configuration ----------------------------------------------------------------


def test_scrape_configuration_has_both_jobs(prometheus_config: dict[str, Any]) -> None:
    assert {"global", "rule_files", "scrape_configs"} <= prometheus_config.keys()
    assert prometheus_config["rule_files"] == ["alerts.yml"]
    assert (MONITORING / "alerts.yml").exists()
    jobs = {job["job_name"]: job for job in prometheus_config["scrape_configs"]}
    assert set(jobs) == {"homeward-pods", "homeward-compose"}
    assert jobs["homeward-pods"]["kubernetes_sd_configs"] == [{"role": "pod"}]
    compose = jobs["homeward-compose"]
    assert compose["metrics_path"] == "/metrics"
    [static] = compose["static_configs"]
    # The metrics ports: the API ports (8401...) do not serve /metrics.
    assert static["targets"] == [
        "intake:9401", "referrals:9402", "documents:9403", "notifications:9404",
        "console:9405",
    ]  # fmt: skip


def test_no_target_label_hides_the_metrics_own_service_label(
    prometheus_config: dict[str, Any],
) -> None:
    from tests.monitoring.conftest import target_labels

    # A target label `service` would rename every metric's `service` to `exported_service`.
    assert "service" not in target_labels(prometheus_config)


def _expand(replacement: str, match: re.Match[str]) -> str:
    return re.sub(r"\$\{?(\d+)\}?", lambda g: match.group(int(g.group(1))) or "", replacement)


def relabel(labels: dict[str, str], rules: list[dict[str, Any]]) -> dict[str, str] | None:
    """Prometheus relabelling (keep, drop, replace) with its defaults; None when dropped."""
    labels = dict(labels)
    for rule in rules:
        action = rule.get("action", "replace")
        separator = rule.get("separator", ";")
        value = separator.join(labels.get(name, "") for name in rule.get("source_labels", []))
        match = re.fullmatch(rule.get("regex", "(.*)"), value)
        if action == "keep" and not match:
            return None
        if action == "drop" and match:
            return None
        if action == "replace" and match:
            result = _expand(rule.get("replacement", "$1"), match)
            if result:
                labels[rule["target_label"]] = result
            else:
                labels.pop(rule["target_label"], None)
    return labels


def pod(
    *,
    annotations: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    port: tuple[str, str] | None = ("metrics", "9401"),
    phase: str = "Running",
    ip: str = "10.1.2.3",
) -> dict[str, str]:
    """One target of the pod discovery: a pod and one of its container ports."""
    meta = {
        "__address__": f"{ip}:{port[1]}" if port else ip,
        "__metrics_path__": "/metrics",
        "__scheme__": "http",
        "__meta_kubernetes_namespace": "homeward",
        "__meta_kubernetes_pod_name": "intake-7d9f-abcde",
        "__meta_kubernetes_pod_ip": ip,
        "__meta_kubernetes_pod_phase": phase,
        "__meta_kubernetes_pod_container_init": "false",
    }
    if port:
        meta["__meta_kubernetes_pod_container_port_name"] = port[0]
        meta["__meta_kubernetes_pod_container_port_number"] = port[1]
    for key, value in (annotations or {}).items():
        meta["__meta_kubernetes_pod_annotation_" + re.sub(r"[^a-zA-Z0-9]", "_", key)] = value
    for key, value in (labels or {}).items():
        meta["__meta_kubernetes_pod_label_" + re.sub(r"[^a-zA-Z0-9]", "_", key)] = value
    return meta


PART_OF = {"app.kubernetes.io/part-of": "homeward", "app.kubernetes.io/name": "intake"}
ANNOTATED = {"prometheus.io/scrape": "true", "prometheus.io/port": "9401"}


@pytest.mark.parametrize(
    ("target", "address", "path"),
    [
        (pod(annotations=ANNOTATED), "10.1.2.3:9401", "/metrics"),
        (pod(annotations=ANNOTATED, port=None), "10.1.2.3:9401", "/metrics"),
        (pod(labels=PART_OF), "10.1.2.3:9401", "/metrics"),
        (pod(annotations=ANNOTATED | {"prometheus.io/port": "9100"}, labels=PART_OF),
         "10.1.2.3:9100", "/metrics"),
        (pod(annotations=ANNOTATED | {"prometheus.io/path": "/internal/metrics"}),
         "10.1.2.3:9401", "/internal/metrics"),
        (pod(annotations=ANNOTATED, ip="fd00::1:2"), "[fd00::1:2]:9401", "/metrics"),
    ],
)  # fmt: skip
def test_pods_to_scrape_are_found_at_their_metrics_port(
    prometheus_config: dict[str, Any], target: dict[str, str], address: str, path: str
) -> None:
    [job] = [j for j in prometheus_config["scrape_configs"] if j["job_name"] == "homeward-pods"]
    scraped = relabel(target, job["relabel_configs"])
    assert scraped is not None
    assert scraped["__address__"] == address
    assert scraped["__metrics_path__"] == path
    assert scraped["namespace"] == "homeward" and scraped["pod"] == "intake-7d9f-abcde"


@pytest.mark.parametrize(
    "target",
    [
        pod(),  # neither annotated nor part of Homeward
        pod(labels={"app.kubernetes.io/part-of": "something-else"}),
        pod(labels=PART_OF, annotations={"prometheus.io/scrape": "false"}),
        pod(labels=PART_OF, port=("postgres", "5432")),  # a port that is not the metrics'
        pod(labels=PART_OF, port=("http", "8401")),  # the API port serves no metrics
        pod(labels=PART_OF, port=None),  # no port to scrape at all
        pod(annotations=ANNOTATED, phase="Pending"),
        pod(annotations=ANNOTATED, phase="Succeeded"),
    ],
)
def test_other_pods_and_ports_are_not_scraped(
    prometheus_config: dict[str, Any], target: dict[str, str]
) -> None:
    [job] = [j for j in prometheus_config["scrape_configs"] if j["job_name"] == "homeward-pods"]
    assert relabel(target, job["relabel_configs"]) is None


# --- Grafana provisioning --------------------------------------------------------------------


def test_grafana_provisioning_points_at_prometheus_and_the_dashboard() -> None:
    provisioning = Path("grafana") / "provisioning"
    datasources = load_yaml(str(provisioning / "datasources" / "homeward-prometheus.yml"))
    assert datasources["apiVersion"] == 1
    [source] = datasources["datasources"]
    assert source["type"] == "prometheus" and source["url"].startswith("http")
    providers = load_yaml(str(provisioning / "dashboards" / "homeward.yml"))
    assert providers["apiVersion"] == 1
    [provider] = providers["providers"]
    assert provider["type"] == "file" and provider["options"]["path"].startswith("/")
