"""The service's vocabulary at run time: document types (shared plus local ones from settings),
service categories and the readiness rule file, validated once at start-up.

A rule file naming an unknown type or category, or a requirement nothing can satisfy, stops
the service from starting: a wrong rule would silently block or unblock real referrals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from homeward.common.vocabulary import DocumentType, ServiceCategory
from homeward.documents.domain.readiness import RuleFileError, RuleSet, parse_rule_file
from homeward.documents.settings import DocumentsSettings

PACKAGED_RULES = "readiness-v1.json"
LOCAL_TYPE_FORMAT = "lowercase words joined by hyphens"


@dataclass(frozen=True, kw_only=True)
class Catalogue:
    document_types: tuple[str, ...]
    service_categories: tuple[str, ...]
    rules: RuleSet


def load_catalogue(settings: DocumentsSettings) -> Catalogue:
    document_types = _document_types(settings.extra_document_types)
    categories = tuple(category.value for category in ServiceCategory)
    content = _read_rule_file(settings.readiness_rules_path)
    rules = parse_rule_file(content, document_types=document_types, service_categories=categories)
    return Catalogue(document_types=document_types, service_categories=categories, rules=rules)


def _document_types(extra: tuple[str, ...]) -> tuple[str, ...]:
    shared = [kind.value for kind in DocumentType]
    for kind in extra:
        if not kind or not all(part.isalnum() and part.islower() for part in kind.split("-")):
            raise RuleFileError(f"extra document type {kind!r} must be {LOCAL_TYPE_FORMAT}")
    return tuple(dict.fromkeys([*shared, *extra]))


def _read_rule_file(path: str | None) -> dict[str, Any]:
    try:
        if path is None:
            text = resources.files("homeward.documents.rules").joinpath(PACKAGED_RULES).read_text()
        else:
            text = Path(path).read_text()
        content = json.loads(text)
    except (OSError, json.JSONDecodeError) as problem:
        raise RuleFileError(f"cannot read the readiness rule file: {problem}") from None
    if not isinstance(content, dict):
        raise RuleFileError("the readiness rule file must hold a JSON object")
    return content
