"""Every code the APIs return, with its English label (the msgid the catalogues translate).

The console does not import the services (it is deployed on its own), so the codes are
listed here; tests/console checks each list against the services' own enums, so a code a
service adds without a label here fails a test instead of reaching a page raw.
"""

from __future__ import annotations

from collections.abc import Callable


def N_(message: str) -> str:
    return message


LABELS: dict[str, dict[str, str]] = {
    "need_domain": {
        "basic-needs": N_("Basic needs"),
        "physical-health": N_("Physical health"),
        "mental-health-and-trauma": N_("Mental health and trauma"),
        "education": N_("Education"),
        "employment": N_("Employment"),
        "housing": N_("Housing"),
        "legal-documentation": N_("Legal documentation"),
        "family-support": N_("Family support"),
        "community-acceptance": N_("Community acceptance"),
        "religious-guidance": N_("Religious guidance"),
    },
    "need_level": {
        "none": N_("No need"),
        "low": N_("Low"),
        "medium": N_("Medium"),
        "high": N_("High"),
        "urgent": N_("Urgent"),
    },
    "service_category": {
        "basic-needs": N_("Basic needs support"),
        "health-care": N_("Health care"),
        "mental-health": N_("Mental health support"),
        "school-enrolment": N_("School enrolment"),
        "employment": N_("Employment support"),
        "housing": N_("Housing"),
        "social-benefits": N_("Social benefits"),
        "bank-account": N_("Bank account"),
        "legal-aid": N_("Legal aid"),
        "family-support": N_("Family support"),
        "religious-guidance": N_("Religious guidance"),
        "travel": N_("Travel"),
    },
    "document_type": {
        "birth-certificate": N_("birth certificate"),
        "national-id": N_("national ID card"),
        "passport": N_("passport"),
        "citizenship-confirmation": N_("citizenship confirmation"),
        "residence-registration": N_("residence registration"),
        "guardianship-order": N_("guardianship or custody order"),
        "school-records-recognition": N_("recognition of school records"),
        "marriage-certificate": N_("marriage certificate"),
        "parent-death-certificate": N_("parent's death certificate"),
    },
    "record_status": {
        "missing": N_("Missing"),
        "requested": N_("Requested"),
        "in-progress": N_("In progress"),
        "issued": N_("Issued"),
        "rejected": N_("Rejected"),
        "expired": N_("Expired"),
        "not-applicable": N_("Not applicable"),
    },
    "referral_state": {
        "draft": N_("Draft"),
        "requested": N_("Sent"),
        "accepted": N_("Accepted"),
        "rejected": N_("Rejected"),
        "in-progress": N_("In progress"),
        "on-hold": N_("On hold"),
        "completed": N_("Completed"),
        "failed": N_("Failed"),
        "cancelled": N_("Cancelled"),
        "entered-in-error": N_("Entered in error"),
    },
    "referral_action": {
        "send": N_("Send"),
        "cancel": N_("Cancel the referral"),
        "entered-in-error": N_("Mark as entered in error"),
        "accept": N_("Accept"),
        "reject": N_("Reject"),
        "start": N_("Start"),
        "hold": N_("Put on hold"),
        "resume": N_("Resume"),
        "complete": N_("Complete"),
        "fail": N_("Record as failed"),
    },
    "reason_code": {
        "no-capacity": N_("No capacity"),
        "not-eligible": N_("Not eligible"),
        "person-declined": N_("The person declined"),
        "person-unreachable": N_("The person cannot be reached"),
        "person-moved": N_("The person moved"),
        "duplicate": N_("Duplicate"),
        "needs-changed": N_("The needs changed"),
        "service-unavailable": N_("Service unavailable"),
        "safety-concern": N_("Safety concern"),
        "consent-revoked": N_("Consent was revoked"),
        "other": N_("Other reason"),
    },
    "outcome": {
        "achieved": N_("Achieved"),
        "partly-achieved": N_("Partly achieved"),
        "not-achieved": N_("Not achieved"),
    },
    "priority": {
        "routine": N_("Routine"),
        "urgent": N_("Urgent"),
        "asap": N_("As soon as possible"),
        "stat": N_("Immediately"),
    },
    "gate": {
        "consent": N_("Waiting for consent"),
        "documents": N_("Waiting for documents"),
    },
    "warning": {
        "religious-guidance-before-basic-needs-or-mental-health": N_(
            "Religious guidance usually comes after basic needs or mental health support has "
            "started, and neither has started for this person."
        ),
    },
    "agency_type": {
        "police": N_("Police"),
        "probation": N_("Probation service"),
        "school": N_("School"),
        "health": N_("Health service"),
        "mental-health": N_("Mental health service"),
        "religious": N_("Religious partner"),
        "social-services": N_("Social services"),
        "ngo": N_("Non-governmental organisation"),
        "employment": N_("Employment service"),
        "housing": N_("Housing service"),
        "legal-aid": N_("Legal aid"),
        "civil-registry": N_("Civil registry"),
    },
    "capacity": {
        "open": N_("Taking referrals"),
        "waitlist": N_("Waiting list"),
        "closed": N_("Not taking referrals"),
    },
    "data_category": {
        "identity": N_("Identity"),
        "health": N_("Health"),
        "education": N_("Education"),
        "legal": N_("Legal"),
        "family": N_("Family"),
        "religious": N_("Religious"),
    },
    "legal_basis": {
        "consent": N_("Consent"),
        "legal-obligation": N_("Legal obligation"),
        "vital-interest": N_("Vital interest"),
    },
    "identity_purpose": {
        "documentation": N_("Legal documentation"),
        "referral": N_("A referral"),
        "safeguarding": N_("Safeguarding"),
        "contact": N_("Contacting the person"),
        "case-review": N_("Case review"),
        "legal-proceedings": N_("Legal proceedings"),
    },
    "suggestion_reason": {
        "need-observed": N_("We observed the need"),
        "person-asked": N_("The person asked for it"),
        "guardian-asked": N_("The guardian asked for it"),
        "risk-observed": N_("We observed a risk"),
        "our-service-ending": N_("Our service is ending"),
        "other": N_("Other reason"),
    },
    "suggestion_status": {
        "open": N_("Waiting for the coordinator"),
        "accepted": N_("Referred"),
        "declined": N_("Declined"),
    },
    "suggestion_decline_reason": {
        "already-referred": N_("Already referred"),
        "not-needed-now": N_("Not needed now"),
        "sequencing": N_("Other support must come first"),
        "no-agency-available": N_("No agency available"),
        "no-consent": N_("No consent"),
        "other": N_("Other reason"),
    },
    "transfer_decline_reason": {
        "not-resident-here": N_("The family does not live here"),
        "no-capacity": N_("No capacity"),
        "information-missing": N_("Information is missing"),
        "safety-concern": N_("Safety concern"),
        "other": N_("Other reason"),
    },
    "closure_rejection": {
        "support-still-needed": N_("Support is still needed"),
        "referrals-still-open": N_("Referrals are still open"),
        "plan-review-first": N_("Review the plan first"),
        "reason-does-not-fit": N_("The reason does not fit"),
        "other": N_("Other reason"),
    },
    "override_legal_basis": {
        "legal-obligation": N_("Legal obligation"),
        "vital-interest": N_("Vital interest"),
        "public-task": N_("Public task"),
        "child-protection": N_("Child protection"),
    },
    "accreditation": {
        "trauma-informed-psychologist": N_("Trauma-informed psychologists"),
        "child-psychologist": N_("Child psychologists"),
        "theologian-trained-for-reintegration": N_("Theologians trained for reintegration work"),
        "disengagement-counsellor": N_("Disengagement counsellors"),
        "social-worker-reintegration": N_("Social workers trained for reintegration"),
        "trauma-aware-teacher": N_("Trauma-aware teachers"),
        "community-interpreter": N_("Community interpreters"),
        "legal-counsel": N_("Legal counsel"),
    },
    "household_role": {
        "mother": N_("Mother"),
        "father": N_("Father"),
        "child": N_("Child"),
        "grandparent": N_("Grandparent"),
        "other-relative": N_("Other relative"),
    },
    "sex": {"female": N_("Female"), "male": N_("Male"), "unknown": N_("Not recorded")},
    "age_group": {"child": N_("Child"), "adult": N_("Adult")},
    "placement": {
        "rehabilitation-centre": N_("Rehabilitation centre"),
        "receiving-family": N_("With the receiving family"),
        "independent": N_("Independent housing"),
    },
    "case_status": {
        "open": N_("Open"),
        "closure-requested": N_("Closure requested"),
        "closed": N_("Closed"),
    },
    "close_reason": {
        "reintegration-completed": N_("Reintegration completed"),
        "left-the-programme": N_("Left the programme"),
        "moved-abroad": N_("Moved abroad"),
        "duplicate-record": N_("Duplicate record"),
        "other": N_("Other reason"),
    },
    "transfer_status": {
        "pending": N_("Waiting for a decision"),
        "accepted": N_("Accepted"),
        "declined": N_("Declined"),
    },
    "relation": {
        "grandparents": N_("Grandparents"),
        "parents": N_("Parents"),
        "siblings": N_("Siblings"),
        "uncle-or-aunt": N_("Uncle or aunt"),
        "other-relatives": N_("Other relatives"),
        "not-related": N_("Not related"),
    },
    "support_capacity": {
        "none": N_("None"),
        "limited": N_("Limited"),
        "adequate": N_("Adequate"),
        "strong": N_("Strong"),
    },
    "task_status": {"open": N_("Open"), "closed": N_("Closed")},
    "deadline": {"acceptance": N_("acceptance"), "completion": N_("completion")},
    "escalation_level": {
        "coordinator": N_("Overdue: coordinator told"),
        "supervisor": N_("Overdue: supervisor told"),
    },
    # Notifications: one line per event kind (`noun.verb`), instead of the API's English summary.
    "event": {
        "referral.sent": N_("A referral was sent to your agency"),
        "referral.accepted": N_("The agency accepted the referral"),
        "referral.rejected": N_("The agency rejected the referral"),
        "referral.completed": N_("The referral was completed"),
        "referral.failed": N_("The referral failed"),
        "referral.held": N_("The agency put the referral on hold"),
        "referral.cancelled": N_("The referral was cancelled"),
        "referral.voided": N_("The referral was entered in error"),
        "referral.reassigned": N_("A referral now belongs to your municipality"),
        "referral.blocked": N_("The referral is blocked"),
        "referral.unblocked": N_("The referral is no longer blocked"),
        "referral.escalated": N_("The referral is overdue"),
        "referral.overdue": N_("The referral is overdue"),
        "documentation_task.raised": N_("A documentation task was raised"),
        "document_record.expiry_warned": N_("A document is about to expire"),
        "document_record.expired": N_("A document has expired"),
        "case.coordinator_assigned": N_("You were assigned a case"),
        "transfer.requested": N_("A case transfer to your municipality was requested"),
        "transfer.declined": N_("The case transfer was declined"),
        "case.transferred": N_("A case was transferred to your municipality"),
        "consent.revoked": N_("Consent for a referral was revoked"),
        "case.closure_requested": N_("A case closure awaits your decision"),
        "case.closure_rejected": N_("The case closure was rejected"),
        "suggestion.made": N_("A partner suggested an onward referral"),
        "suggestion.accepted": N_("Your suggestion was drafted as a referral"),
        "suggestion.declined": N_("Your suggestion was declined"),
    },
}


def event_kind(event_type: str) -> str:
    """`homeward.referral.accepted.v1` -> `referral.accepted`."""
    parts = event_type.split(".")
    return ".".join(parts[1:-1]) if len(parts) >= 4 else event_type


def labeller(gettext: Callable[[str], str]) -> Callable[[str, str | None], str]:
    """`label(kind, code)`: the translated label, or the code itself when it is unknown."""

    def label(kind: str, code: str | None) -> str:
        if code is None:
            return ""
        if kind == "event":
            code = event_kind(code)
        english = LABELS[kind].get(code)
        return gettext(english) if english else code

    return label
