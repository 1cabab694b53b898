"""The message catalogue: complete in every language, the same placeholders as the English,
CLDR plural forms; and a label for every code the services' vocabularies can return."""

from __future__ import annotations

import re
from enum import StrEnum

import pytest
from babel.messages.catalog import Catalog

from homeward.common import vocabulary as shared
from homeward.common.vocabulary import IdentityPurpose
from homeward.console.catalogue import read_catalogue, source_catalogue
from homeward.console.i18n import LOCALES, pick_locale, translations
from homeward.console.vocabulary import LABELS, event_kind, labeller
from homeward.documents.domain.records import RecordStatus
from homeward.intake.commands import RelationToReturnees
from homeward.intake.domain import assessments, cases, closures, consent, persons, transfers
from homeward.referrals.commands import OverrideLegalBasis, Priority
from homeward.referrals.domain.deadlines import DeadlineKind, EscalationLevel
from homeward.referrals.domain.directory import Accreditation, CapacityStatus
from homeward.referrals.domain.gates import SEQUENCING_WARNING
from homeward.referrals.domain.lifecycle import Action, Outcome, ReasonCode, ReferralState
from homeward.referrals.domain.suggestions import (
    SuggestionDeclineReason,
    SuggestionReason,
    SuggestionStatus,
)

OTHERS = [locale for locale in LOCALES if locale != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.mark.parametrize("locale", OTHERS)
def test_every_english_message_is_translated(locale: str) -> None:
    catalogue = read_catalogue(locale)
    missing = []
    for message in source_catalogue():
        if not message.id:
            continue
        found = catalogue.get(message.id)
        strings = found.string if found else None
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            missing.append(message.id)
    assert missing == []


@pytest.mark.parametrize("locale", OTHERS)
def test_translations_keep_the_placeholders_and_the_plural_forms(locale: str) -> None:
    catalogue = read_catalogue(locale)
    # Babel's Plural-Forms header for the locale comes from CLDR (ru: 3, kk and uz: 2).
    assert catalogue.plural_forms == Catalog(locale=locale).plural_forms
    for message in catalogue:
        if not message.id:
            continue
        english = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(english[-1]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == wanted, (locale, message.id)
        if isinstance(message.id, tuple):
            assert len(strings) == catalogue.num_plurals, (locale, message.id)


def test_a_missing_translation_would_be_noticed() -> None:
    """The completeness test above can fail: a message of the source absent from a catalogue."""
    catalogue = read_catalogue("ru")
    some = next(m for m in source_catalogue() if m.id)
    catalogue.delete(some.id)
    assert catalogue.get(some.id) is None


def test_russian_plurals_follow_cldr() -> None:
    ngettext = translations("ru").ngettext
    singular, plural = "%(num)d case", "%(num)d cases"
    assert [ngettext(singular, plural, n) % {"num": n} for n in (1, 3, 5, 21)] == [
        "1 дело", "3 дела", "5 дел", "21 дело"
    ]  # fmt: skip


VOCABULARIES: dict[str, list[type[StrEnum]] | list[str]] = {
    "need_domain": [assessments.NeedDomain],
    "need_level": [assessments.NeedLevel],
    "service_category": [shared.ServiceCategory],
    "document_type": [shared.DocumentType],
    "agency_type": [shared.AgencyType],
    "data_category": [shared.DataCategory],
    "record_status": [RecordStatus],
    "referral_state": [ReferralState],
    "referral_action": [Action],
    "reason_code": [ReasonCode],
    "outcome": [Outcome],
    "priority": [Priority],
    "capacity": [CapacityStatus],
    "legal_basis": [consent.LegalBasis],
    "identity_purpose": [IdentityPurpose],
    "household_role": [persons.HouseholdRole],
    "sex": [persons.Sex],
    "age_group": [persons.AgeGroup],
    "placement": [cases.Placement],
    "case_status": [cases.CaseStatus],
    "close_reason": [cases.CloseReason],
    "support_capacity": [cases.SupportCapacity],
    "transfer_status": [transfers.TransferStatus],
    "relation": [RelationToReturnees],
    "deadline": [DeadlineKind],
    "escalation_level": [EscalationLevel],
    "suggestion_reason": [SuggestionReason],
    "suggestion_status": [SuggestionStatus],
    "suggestion_decline_reason": [SuggestionDeclineReason],
    "transfer_decline_reason": [transfers.TransferDeclineReason],
    "closure_rejection": [closures.ClosureRejection],
    "override_legal_basis": [OverrideLegalBasis],
    "accreditation": [Accreditation],
}


@pytest.mark.parametrize("kind", sorted(VOCABULARIES))
def test_every_code_a_service_returns_has_a_label(kind: str) -> None:
    codes = {member.value for enum in VOCABULARIES[kind] for member in enum}
    assert codes <= set(LABELS[kind]), codes - set(LABELS[kind])


def test_every_warning_and_routed_event_has_a_label() -> None:
    from homeward.notifications.domain.routing import RULES

    assert SEQUENCING_WARNING in LABELS["warning"]
    routed = {event_kind(contract.event_type) for contract in RULES}
    assert routed <= set(LABELS["event"]), routed - set(LABELS["event"])


@pytest.mark.parametrize("locale", OTHERS)
def test_labels_are_translated_and_unknown_codes_shown_as_they_are(locale: str) -> None:
    label = labeller(translations(locale).gettext)
    assert label("need_domain", "basic-needs") != "Basic needs"
    assert label("event", "homeward.referral.unblocked.v1") != "The referral is no longer blocked"
    assert label("need_domain", "a-new-domain") == "a-new-domain"


def test_the_locale_is_the_users_choice_then_the_token_then_the_browser() -> None:
    assert pick_locale(chosen="kk", claim="ru", accept_language="uz") == "kk"
    assert pick_locale(chosen=None, claim="ru-RU", accept_language="uz") == "ru"
    assert pick_locale(chosen=None, claim=None, accept_language="de;q=0.9, uz-Latn;q=0.8") == "uz"
    assert pick_locale(chosen=None, claim="fr", accept_language="ru;q=0.1, kk;q=0.5") == "kk"
    assert pick_locale(chosen="xx", claim=None, accept_language="") == "en"
