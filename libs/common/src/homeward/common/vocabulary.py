"""Words every service uses the same way: agency types, data categories, service categories
and document types. Plain enums, no framework: the domain of any service may import them.

Events carry these as strings; a consumer meeting a value it does not know treats it as
unknown rather than failing, because vocabularies grow.
"""

from __future__ import annotations

from enum import StrEnum


class AgencyType(StrEnum):
    POLICE = "police"
    PROBATION = "probation"
    SCHOOL = "school"
    HEALTH = "health"
    MENTAL_HEALTH = "mental-health"
    RELIGIOUS = "religious"
    SOCIAL_SERVICES = "social-services"
    NGO = "ngo"
    EMPLOYMENT = "employment"
    HOUSING = "housing"
    LEGAL_AID = "legal-aid"
    CIVIL_REGISTRY = "civil-registry"


class IdentityPurpose(StrEnum):
    """Why identity-grade data (a name, a national ID number) is read. A closed list: the
    audit trail, which records it, must not hold free text."""

    DOCUMENTATION = "documentation"
    REFERRAL = "referral"
    SAFEGUARDING = "safeguarding"
    CONTACT = "contact"
    CASE_REVIEW = "case-review"
    LEGAL_PROCEEDINGS = "legal-proceedings"


class DataCategory(StrEnum):
    """What a disclosure may contain; consent is given per category and agency type."""

    IDENTITY = "identity"
    HEALTH = "health"
    EDUCATION = "education"
    LEGAL = "legal"
    FAMILY = "family"
    RELIGIOUS = "religious"


class ServiceCategory(StrEnum):
    """What a person is referred for; readiness rules and deadlines are per category."""

    BASIC_NEEDS = "basic-needs"
    HEALTH_CARE = "health-care"
    MENTAL_HEALTH = "mental-health"
    SCHOOL_ENROLMENT = "school-enrolment"
    EMPLOYMENT = "employment"
    HOUSING = "housing"
    SOCIAL_BENEFITS = "social-benefits"
    BANK_ACCOUNT = "bank-account"
    LEGAL_AID = "legal-aid"
    FAMILY_SUPPORT = "family-support"
    RELIGIOUS_GUIDANCE = "religious-guidance"
    TRAVEL = "travel"


class DocumentType(StrEnum):
    BIRTH_CERTIFICATE = "birth-certificate"
    NATIONAL_ID = "national-id"
    PASSPORT = "passport"
    CITIZENSHIP_CONFIRMATION = "citizenship-confirmation"
    RESIDENCE_REGISTRATION = "residence-registration"
    GUARDIANSHIP_ORDER = "guardianship-order"
    SCHOOL_RECORDS_RECOGNITION = "school-records-recognition"
    MARRIAGE_CERTIFICATE = "marriage-certificate"
    PARENT_DEATH_CERTIFICATE = "parent-death-certificate"
