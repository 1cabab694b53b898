"""Every PromQL expression of the dashboard and the alerts asks for series the services
serve, with labels those series have; legends and annotations print labels that survive."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.monitoring.conftest import label_names
from tests.monitoring.promql import (
    ANNOTATION_LABEL,
    LEGEND_LABEL,
    Exposition,
    check_expression,
)

LABEL_VALUES = re.compile(r"^label_values\((\w+),\s*(\w+)\)$")


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))  # panels inside a collapsed row
    return found


def dashboard_queries(dashboard: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(where, expression, legend) of every target."""
    return [
        (f"panel {panel['id']} {panel['title']!r} {target['refId']}", target["expr"],
         target.get("legendFormat", ""))
        for panel in panels(dashboard)
        for target in panel.get("targets", [])
    ]  # fmt: skip


def alert_queries(rules: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(where, expression, every annotation's text) of every alert."""
    return [
        (f"alert {rule['alert']}", rule["expr"], " ".join(rule.get("annotations", {}).values()))
        for group in rules["groups"]
        for rule in group["rules"]
    ]


def all_queries(dashboard: dict[str, Any], rules: dict[str, Any]) -> list[tuple[str, str, str]]:
    queries = dashboard_queries(dashboard) + alert_queries(rules)
    assert len(queries) > 30  # the files were read, not found empty
    return queries


def test_every_queried_series_and_label_is_served_by_every_service(
    expositions: dict[str, Exposition], dashboard: dict[str, Any], alert_rules: dict[str, Any]
) -> None:
    problems = []
    for service, exposition in expositions.items():
        for where, expr, _ in all_queries(dashboard, alert_rules):
            _, findings = check_expression(expr, exposition)
            problems += [f"{service}: {where}: {problem}" for problem in findings.problems]
    assert not problems, "\n".join(problems)


def test_legends_and_annotations_print_only_labels_the_result_keeps(
    expositions: dict[str, Exposition], dashboard: dict[str, Any], alert_rules: dict[str, Any]
) -> None:
    exposition = expositions["notifications"]
    problems = []
    for where, expr, text in all_queries(dashboard, alert_rules):
        kept, _ = check_expression(expr, exposition)
        printed = set(LEGEND_LABEL.findall(text)) | set(ANNOTATION_LABEL.findall(text))
        if lost := printed - kept:
            problems.append(f"{where} prints {sorted(lost)}, the result has {sorted(kept)}")
    assert not problems, "\n".join(problems)


def test_every_homeward_metric_is_on_the_dashboard(
    expositions: dict[str, Exposition], dashboard: dict[str, Any]
) -> None:
    exposition = expositions["intake"]
    shown: set[str] = set()
    for _, expr, _ in dashboard_queries(dashboard):
        _, findings = check_expression(expr, exposition)
        shown |= findings.series
    families = {
        family
        for family in label_names()
        if not any(series.removeprefix(family) in ("", "_total", "_bucket", "_count", "_sum")
                   for series in shown if series.startswith(family))
    }  # fmt: skip
    assert not families, f"defined but never shown: {sorted(families)}"


def test_template_variables(dashboard: dict[str, Any], expositions: dict[str, Exposition]) -> None:
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    service = variables["service"]
    assert service["datasource"]["uid"] == "${datasource}"
    match = LABEL_VALUES.match(service["query"]["query"])
    assert match and service["definition"] == service["query"]["query"]
    series, label = match.groups()
    assert label in expositions["intake"].series_labels(series)
    assert service["includeAll"] and service["multi"] and service["allValue"] == ".*"


@pytest.mark.parametrize(
    ("expr", "problem"),
    [
        ("homeward_dead_letters", "no metric family"),  # a counter without `_total`
        ("homeward_consumer_lag_total", "no metric family"),  # `_total` of a gauge
        ("homeward_http_request_duration_seconds", "no metric family"),  # a bare histogram
        ("rate(homeward_dead_letters_total_bucket[5m])", "no metric family"),
        ("homeward_webhook_deliveries", "no metric family"),
        ('homeward_outbox_backlog{topic="x"}', "no label 'topic'"),
        ("sum by (agency) (homeward_dead_letters_total)", "aggregation over labels ['agency']"),
        (
            "histogram_quantile(0.9, sum by (service) (rate(homeward_http_request_duration_seconds"
            "_bucket[5m])))",
            "without `le`",
        ),
        (
            "sum by (service) (homeward_outbox_backlog) / on (topic) "
            "sum by (service) (homeward_outbox_backlog)",
            "matching on ['topic']",
        ),
    ],
)
def test_the_checker_refuses_what_prometheus_would_not_find(
    expositions: dict[str, Exposition], expr: str, problem: str
) -> None:
    _, findings = check_expression(expr, expositions["intake"])
    assert any(problem in found for found in findings.problems), findings.problems


def test_the_checker_resolves_suffixes_by_type(expositions: dict[str, Exposition]) -> None:
    exposition = expositions["intake"]
    histogram = {"service", "method", "route", "status", "job", "instance"}
    assert histogram <= exposition.series_labels("homeward_http_request_duration_seconds_count")
    assert "le" in exposition.series_labels("homeward_http_request_duration_seconds_bucket")
    assert "le" not in exposition.series_labels("homeward_http_request_duration_seconds_sum")
    assert "topic" in exposition.series_labels("homeward_dead_letters_total")
    assert "partition" in exposition.series_labels("homeward_consumer_lag")
    kept, findings = check_expression(
        "histogram_quantile(0.95, sum by (service, route, le) (rate("
        'homeward_http_request_duration_seconds_bucket{service=~"$service"}[$__rate_interval])))',
        exposition,
    )
    assert not findings.problems and kept == {"service", "route"}
