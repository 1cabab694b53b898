"""Readiness rules: which documents each service category needs, and who is ready for what.

A rule file maps a service category to requirements. In the file a category is written as
`{"any_of": [types]}` (one requirement, any listed document satisfies it) or
`{"all_of": [type | {"any_of": [types]}, ...]}` (every item must be satisfied). Internally a
category is a list of requirements, each a list of alternatives, which is also the shape the
events carry (`[["national-id", "passport"], ["residence-registration"]]`).

A category absent from the file needs no documents (basic needs, mental health: nobody is
turned away from those for want of papers).

What counts as having a document:
- issued, and not past its expiry date on the day asked (the expiry check may not have run
  yet; readiness never trusts a stale status);
- a requirement whose every alternative is marked not applicable for the person is waived:
  the documents officer has decided nobody can or need produce it (a parent's death
  certificate when both parents are alive), so it must not block the person forever.
  A not-applicable alternative next to applicable ones does nothing: the others are still
  needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from homeward.documents.domain.records import RecordStatus

Requirement = tuple[str, ...]  # alternatives, any one of which satisfies it


class RuleFileError(ValueError):
    """A rule file the service refuses to start with; the message says what is wrong."""


@dataclass(frozen=True, kw_only=True)
class RuleSet:
    version: str
    categories: Mapping[str, tuple[Requirement, ...]]

    def requirements(self, category: str) -> tuple[Requirement, ...]:
        return self.categories.get(category, ())


@dataclass(frozen=True, kw_only=True)
class DocumentState:
    """What readiness needs to know about one record: nothing personal."""

    status: RecordStatus
    expiry_on: date | None = None

    def is_valid_on(self, day: date) -> bool:
        if self.status is not RecordStatus.ISSUED:
            return False
        return self.expiry_on is None or self.expiry_on >= day


@dataclass(frozen=True, kw_only=True)
class Readiness:
    ready: frozenset[str]
    missing: Mapping[str, list[list[str]]] = field(default_factory=dict)

    def same_as(self, other: Readiness | None) -> bool:
        return (
            other is not None
            and self.ready == other.ready
            and dict(self.missing) == dict(other.missing)
        )


def unmet_requirements(
    requirements: Iterable[Requirement], documents: Mapping[str, DocumentState], *, today: date
) -> list[list[str]]:
    """The requirements not met, each with its still-applicable alternatives."""
    unmet: list[list[str]] = []
    for alternatives in requirements:
        states = [documents.get(kind) for kind in alternatives]
        if any(state is not None and state.is_valid_on(today) for state in states):
            continue
        applicable = [
            kind
            for kind, state in zip(alternatives, states, strict=True)
            if state is None or state.status is not RecordStatus.NOT_APPLICABLE
        ]
        if applicable:
            unmet.append(applicable)
    return unmet


def evaluate(
    rules: RuleSet,
    documents: Mapping[str, DocumentState],
    *,
    today: date,
    categories: Iterable[str],
) -> Readiness:
    """Which of `categories` the person is ready for and, for the others, what is missing."""
    ready: set[str] = set()
    missing: dict[str, list[list[str]]] = {}
    for category in sorted(set(categories)):
        unmet = unmet_requirements(rules.requirements(category), documents, today=today)
        if unmet:
            missing[category] = unmet
        else:
            ready.add(category)
    return Readiness(ready=frozenset(ready), missing=missing)


def parse_rule_file(
    content: Mapping[str, Any], *, document_types: Iterable[str], service_categories: Iterable[str]
) -> RuleSet:
    """Validate a rule file; RuleFileError names every problem found, not just the first."""
    known_types, known_categories = set(document_types), set(service_categories)
    problems: list[str] = []
    version = content.get("version")
    if not isinstance(version, str) or not version.strip():
        problems.append("'version' must be a non-empty string")
    raw_categories = content.get("categories")
    if not isinstance(raw_categories, Mapping):
        raise RuleFileError("; ".join([*problems, "'categories' must be an object"]))
    categories: dict[str, tuple[Requirement, ...]] = {}
    for category, expression in raw_categories.items():
        where = f"categories.{category}"
        if category not in known_categories:
            problems.append(f"{where}: unknown service category")
            continue
        try:
            requirements = _requirements(expression)
        except RuleFileError as problem:
            problems.append(f"{where}: {problem}")
            continue
        for alternatives in requirements:
            if not alternatives:
                problems.append(f"{where}: a requirement with no alternatives can never be met")
            for kind in alternatives:
                if kind not in known_types:
                    problems.append(f"{where}: unknown document type {kind!r}")
        categories[category] = requirements
    if problems:
        raise RuleFileError("; ".join(problems))
    return RuleSet(version=str(version), categories=categories)


def _requirements(expression: Any) -> tuple[Requirement, ...]:
    if not isinstance(expression, Mapping) or len(expression) != 1:
        raise RuleFileError("write a category as {'any_of': [...]} or {'all_of': [...]}")
    ((operator, items),) = expression.items()
    if not isinstance(items, list):
        raise RuleFileError(f"{operator} takes a list")
    if operator == "any_of":
        return (_alternatives(items),)
    if operator == "all_of":
        if not items:
            raise RuleFileError("an empty all_of says nothing; leave the category out instead")
        return tuple(
            (item,)
            if isinstance(item, str)
            else _requirements(item)[0]
            if isinstance(item, Mapping) and set(item) == {"any_of"}
            else _bad_item()
            for item in items
        )
    raise RuleFileError(f"unknown operator {operator!r}: use any_of or all_of")


def _alternatives(items: list[Any]) -> Requirement:
    if not all(isinstance(item, str) for item in items):
        raise RuleFileError("any_of lists document types only")
    return tuple(items)


def _bad_item() -> Requirement:
    raise RuleFileError("all_of items are document types or {'any_of': [...]}")
