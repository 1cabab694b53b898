"""What the monitoring files ask of the services' metrics: every PromQL expression of the
dashboard and the alerts, parsed (promql-parser), and the series and labels it uses.

`Exposition` is what a service serves on /metrics: metric families with their type and
label names. `check_expression` resolves every selector to a family (`_total` of a counter;
`_bucket`, `_sum`, `_count` of a histogram; a gauge by its own name), and checks each label
the expression names (in a matcher, `by`, `without`, `on`, `ignoring`) belongs to the series
it applies to, and returns the labels the result carries (what a legend or an annotation may
print).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import promql_parser as pql
from prometheus_client.parser import text_string_to_metric_families

# Grafana's interval variables, replaced by a value of the right shape before parsing.
GRAFANA_INTERVALS = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "6h"}
# Series Prometheus writes itself for every target.
SYNTHETIC_SERIES = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})
# Functions whose result keeps the labels of their (range or instant) vector argument.
LABEL_KEEPING = frozenset({
    "rate", "irate", "increase", "delta", "idelta", "deriv", "abs", "clamp_min", "clamp_max",
    "avg_over_time", "max_over_time", "min_over_time", "sum_over_time", "count_over_time",
    "last_over_time", "ceil", "floor", "round", "sqrt", "predict_linear", "changes", "resets",
})  # fmt: skip


@dataclass(frozen=True)
class Family:
    name: str  # as the client registers it: `homeward_dead_letters`, not `..._total`
    type: str  # counter, gauge, histogram, summary
    labels: frozenset[str]


@dataclass
class Exposition:
    families: dict[str, Family]
    target_labels: frozenset[str] = frozenset({"job", "instance"})

    @classmethod
    def parse(
        cls, text: str, label_names: dict[str, Iterable[str]], target_labels: Iterable[str]
    ) -> Exposition:
        """Families of a /metrics text; their label names from `label_names` (a family with no
        sample yet prints no labels)."""
        families = {
            family.name: Family(family.name, family.type, frozenset(label_names[family.name]))
            for family in text_string_to_metric_families(text)
            if family.name in label_names
        }
        return cls(families, frozenset({"job", "instance", *target_labels}))

    def series_labels(self, series: str) -> frozenset[str]:
        """The labels of one series name, or KeyError when no family has that series."""
        if series in SYNTHETIC_SERIES:
            return self.target_labels
        for suffix, types, extra in (
            ("_total", ("counter",), ()),
            ("_bucket", ("histogram",), ("le",)),
            ("_sum", ("histogram", "summary"), ()),
            ("_count", ("histogram", "summary"), ()),
            ("", ("gauge", "untyped"), ()),
        ):
            if suffix and not series.endswith(suffix):
                continue
            family = self.families.get(series.removesuffix(suffix) if suffix else series)
            if family is not None and family.type in types:
                return family.labels | frozenset(extra) | self.target_labels
        raise KeyError(f"no metric family exposes the series {series!r}")


@dataclass
class Findings:
    series: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def prepare(expr: str) -> str:
    for variable, value in GRAFANA_INTERVALS.items():
        expr = expr.replace(variable, value)
    return expr


def check_expression(expr: str, exposition: Exposition) -> tuple[frozenset[str], Findings]:
    """Parse `expr` (Grafana variables allowed); returns the result's labels and findings."""
    findings = Findings()
    labels = _labels_of(pql.parse(prepare(expr)), exposition, findings)
    return labels, findings


def _labels_of(node: object, exposition: Exposition, findings: Findings) -> frozenset[str]:
    kind = type(node).__name__
    if kind in ("NumberLiteral", "StringLiteral"):
        return frozenset()
    if kind == "MatrixSelector":
        return _labels_of(node.vector_selector, exposition, findings)  # type: ignore[attr-defined]
    if kind == "VectorSelector":
        return _selector(node, exposition, findings)
    if kind in ("ParenExpr", "UnaryExpr", "SubqueryExpr"):
        return _labels_of(node.expr, exposition, findings)  # type: ignore[attr-defined]
    if kind == "Call":
        return _call(node, exposition, findings)
    if kind == "AggregateExpr":
        inner = _labels_of(node.expr, exposition, findings)  # type: ignore[attr-defined]
        modifier = node.modifier  # type: ignore[attr-defined]
        if modifier is None:
            return frozenset()
        named = frozenset(modifier.labels)
        if unknown := named - inner:
            findings.problems.append(f"aggregation over labels {sorted(unknown)} not in {node}")
        if modifier.type == pql.AggModifierType.By:
            return named & inner
        return inner - named
    if kind == "BinaryExpr":
        return _binary(node, exposition, findings)
    raise AssertionError(f"unexpected PromQL node {kind}: {node}")


def _selector(node: object, exposition: Exposition, findings: Findings) -> frozenset[str]:
    name = node.name  # type: ignore[attr-defined]
    try:
        labels = exposition.series_labels(name)
    except KeyError as missing:
        findings.problems.append(str(missing.args[0]))
        return frozenset()
    findings.series.add(name)
    for matcher in node.matchers.matchers:  # type: ignore[attr-defined]
        if matcher.name != "__name__" and matcher.name not in labels:
            findings.problems.append(f"{name} has no label {matcher.name!r}")
    return labels


def _call(node: object, exposition: Exposition, findings: Findings) -> frozenset[str]:
    function = node.func.name  # type: ignore[attr-defined]
    arguments = [_labels_of(arg, exposition, findings) for arg in node.args]  # type: ignore[attr-defined]
    if function == "histogram_quantile":
        if "le" not in arguments[1]:
            findings.problems.append(f"histogram_quantile without `le`: {node}")
        return arguments[1] - {"le"}
    if function == "absent":
        return frozenset()  # its labels come from equality matchers: none of ours
    if function in LABEL_KEEPING:
        return arguments[0]
    raise AssertionError(f"teach the checker what {function}() does to labels")


def _binary(node: object, exposition: Exposition, findings: Findings) -> frozenset[str]:
    """Labels of a binary operation, as Prometheus builds the result's label set."""
    lhs = _labels_of(node.lhs, exposition, findings)  # type: ignore[attr-defined]
    rhs = _labels_of(node.rhs, exposition, findings)  # type: ignore[attr-defined]
    sides = {type(node.lhs).__name__, type(node.rhs).__name__}  # type: ignore[attr-defined]
    if "NumberLiteral" in sides:  # vector op scalar: the vector's labels
        return lhs or rhs
    modifier = node.modifier  # type: ignore[attr-defined]
    matching = modifier.matching if modifier is not None else None
    if matching is None:
        if lhs != rhs:
            findings.problems.append(f"sides with different labels and no `on`: {node}")
        return lhs
    named = frozenset(matching.labels)
    for side, labels in (("left", lhs), ("right", rhs)):
        if unknown := named - labels:
            findings.problems.append(f"matching on {sorted(unknown)} not on the {side}: {node}")
    if str(node.op) in ("and", "or", "unless"):  # type: ignore[attr-defined]
        return lhs
    if modifier.card == pql.VectorMatchCardinality.OneToMany:
        return rhs
    if modifier.card == pql.VectorMatchCardinality.ManyToOne:
        return lhs
    include = matching.type == pql.LabelModifierType.Include
    return named & lhs if include else lhs - named


LEGEND_LABEL = re.compile(r"\{\{\s*(\w+)\s*\}\}")
ANNOTATION_LABEL = re.compile(r"\$labels\.(\w+)")
