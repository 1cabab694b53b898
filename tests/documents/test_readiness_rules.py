"""Readiness rules as pure functions: any-of, all-of, expiry, not applicable, rule files."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from homeward.common.vocabulary import DocumentType, ServiceCategory
from homeward.documents.catalogue import load_catalogue
from homeward.documents.domain.readiness import (
    DocumentState,
    RuleFileError,
    RuleSet,
    evaluate,
    parse_rule_file,
)
from homeward.documents.domain.records import RecordStatus
from homeward.documents.settings import DocumentsSettings

TODAY = date(2025, 6, 1)
TYPES = [kind.value for kind in DocumentType]
CATEGORIES = [category.value for category in ServiceCategory]
RULES = parse_rule_file(
    {
        "version": "test-1",
        "categories": {
            "bank-account": {"any_of": ["national-id", "passport"]},
            "employment": {"all_of": ["national-id", "residence-registration"]},
            "housing": {
                "all_of": [{"any_of": ["national-id", "passport"]}, "residence-registration"]
            },
        },
    },
    document_types=TYPES,
    service_categories=CATEGORIES,
)  # fmt: skip
ISSUED = DocumentState(status=RecordStatus.ISSUED)
MISSING = DocumentState(status=RecordStatus.MISSING)
NOT_APPLICABLE = DocumentState(status=RecordStatus.NOT_APPLICABLE)


def ready_for(documents: dict[str, DocumentState], category: str, rules: RuleSet = RULES) -> bool:
    return category in evaluate(rules, documents, today=TODAY, categories=[category]).ready


def missing_for(documents: dict[str, DocumentState], category: str) -> list[list[str]]:
    return evaluate(RULES, documents, today=TODAY, categories=[category]).missing.get(category, [])


def test_any_of_is_met_by_either_alternative() -> None:
    assert ready_for({"passport": ISSUED}, "bank-account")
    assert ready_for({"national-id": ISSUED, "passport": MISSING}, "bank-account")
    assert not ready_for({"national-id": MISSING}, "bank-account")
    assert missing_for({}, "bank-account") == [["national-id", "passport"]]


def test_all_of_needs_every_requirement_and_names_exactly_what_is_missing() -> None:
    assert not ready_for({"national-id": ISSUED}, "employment")
    assert missing_for({"national-id": ISSUED}, "employment") == [["residence-registration"]]
    assert ready_for({"national-id": ISSUED, "residence-registration": ISSUED}, "employment")


def test_all_of_with_a_nested_any_of() -> None:
    documents = {"passport": ISSUED}
    assert missing_for(documents, "housing") == [["residence-registration"]]
    documents["residence-registration"] = ISSUED
    assert ready_for(documents, "housing")


@pytest.mark.parametrize("status", [s for s in RecordStatus if s is not RecordStatus.ISSUED])
def test_only_issued_documents_count(status: RecordStatus) -> None:
    assert not ready_for({"passport": DocumentState(status=status)}, "bank-account")


def test_an_issued_document_past_its_expiry_date_does_not_count() -> None:
    expired = DocumentState(status=RecordStatus.ISSUED, expiry_on=TODAY - timedelta(days=1))
    last_day = DocumentState(status=RecordStatus.ISSUED, expiry_on=TODAY)
    assert not ready_for({"passport": expired}, "bank-account")
    assert ready_for({"passport": last_day}, "bank-account")
    assert ready_for({"passport": expired, "national-id": ISSUED}, "bank-account")


def test_not_applicable_waives_a_requirement_only_when_no_alternative_applies() -> None:
    # The national ID is not applicable, the passport still is: a passport is needed.
    assert missing_for({"national-id": NOT_APPLICABLE}, "bank-account") == [["passport"]]
    both = {"national-id": NOT_APPLICABLE, "passport": NOT_APPLICABLE}
    assert ready_for(both, "bank-account")
    assert missing_for({"national-id": NOT_APPLICABLE, "residence-registration": MISSING},
                       "employment") == [["residence-registration"]]  # fmt: skip


def test_a_category_without_rules_needs_no_documents() -> None:
    assert ready_for({}, "basic-needs")


def test_readiness_compares_by_value() -> None:
    first = evaluate(RULES, {}, today=TODAY, categories=CATEGORIES)
    again = evaluate(RULES, {}, today=TODAY, categories=CATEGORIES)
    changed = evaluate(RULES, {"passport": ISSUED}, today=TODAY, categories=CATEGORIES)
    assert first.same_as(again)
    assert not first.same_as(changed)
    assert not first.same_as(None)


def test_the_shipped_rule_file_loads_and_covers_the_issue_examples() -> None:
    catalogue = load_catalogue(DocumentsSettings())
    rules = catalogue.rules
    assert rules.version == "readiness-v1"
    assert rules.requirements("bank-account") == (("national-id", "passport"),)
    assert rules.requirements("employment") == (("national-id",), ("residence-registration",))
    assert rules.requirements("school-enrolment") == (("birth-certificate", "guardianship-order"),)
    for category in ("housing", "health-care", "social-benefits", "travel"):
        assert rules.requirements(category)


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ({"version": "x", "categories": {"bank-account": {"any_of": ["tax-card"]}}},
         "unknown document type 'tax-card'"),
        ({"version": "x", "categories": {"yacht-licence": {"any_of": ["passport"]}}},
         "unknown service category"),
        ({"version": "x", "categories": {"travel": {"any_of": []}}}, "can never be met"),
        ({"version": "x", "categories": {"travel": {"all_of": []}}}, "empty all_of"),
        ({"version": "x", "categories": {"travel": {"one_of": ["passport"]}}}, "unknown operator"),
        ({"version": "x", "categories": {"travel": ["passport"]}}, "any_of"),
        ({"version": "x", "categories": {"travel": {"all_of": [{"all_of": ["passport"]}]}}},
         "all_of items"),
        ({"categories": {}}, "'version'"),
        ({"version": "x"}, "'categories'"),
    ],
)  # fmt: skip
def test_bad_rule_files_are_refused(content: dict, complaint: str) -> None:
    with pytest.raises(RuleFileError, match=complaint):
        parse_rule_file(content, document_types=TYPES, service_categories=CATEGORIES)


def test_extra_document_types_from_settings_may_be_used_in_rules(tmp_path) -> None:
    rule_file = tmp_path / "rules.json"
    rule_file.write_text(
        '{"version": "local-2", "categories": '
        '{"travel": {"any_of": ["passport", "refugee-travel-document"]}}}'
    )
    settings = DocumentsSettings(
        extra_document_types=("refugee-travel-document",), readiness_rules_path=str(rule_file)
    )
    catalogue = load_catalogue(settings)
    assert "refugee-travel-document" in catalogue.document_types
    with pytest.raises(RuleFileError, match="unknown document type"):
        load_catalogue(DocumentsSettings(readiness_rules_path=str(rule_file)))


def test_the_app_refuses_to_start_with_a_bad_rule_file(tmp_path) -> None:
    from homeward.documents.app import create_app

    rule_file = tmp_path / "rules.json"
    rule_file.write_text('{"version": "bad", "categories": {"travel": {"any_of": ["visa"]}}}')
    with pytest.raises(RuleFileError):
        create_app(DocumentsSettings(readiness_rules_path=str(rule_file),
                                     database_url="sqlite+aiosqlite:///:memory:"))  # fmt: skip
