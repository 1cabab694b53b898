"""Who is told what: one rule per kind of event, read top to bottom.

Each rule names a summary (fixed text: nothing from the event's free fields ever reaches a
reader) and its audiences. An audience turns the event and the known facts into recipients
(scopes). Agencies are also reached by their webhook subscriptions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from homeward.common.auth import Role
from homeward.common.contracts import documents, intake, referrals, suggestions
from homeward.common.events.contracts import EventContract
from homeward.notifications.domain.facts import RoutedEvent
from homeward.notifications.domain.scopes import Recipient

Audience = Callable[[RoutedEvent], list[Recipient]]


def receiving_agency(event: RoutedEvent) -> list[Recipient]:
    """The referral's agency, while the referral is in its hands (the shared definition)."""
    if event.agency_id and event.agency_may_know:
        return [Recipient.agency(event.agency_id)]
    return []


def suggesting_agency(event: RoutedEvent) -> list[Recipient]:
    """The partner that suggested an onward referral hears of the coordinator's decision."""
    suggestion = event.contract
    if isinstance(suggestion, suggestions.SuggestionFacts):
        return [Recipient.agency(suggestion.suggesting_agency_id)]
    return []


def case_coordinators(event: RoutedEvent) -> list[Recipient]:
    """The assigned coordinator, or every coordinator of the municipality while none is."""
    coordinator = event.case.coordinator if event.case else None
    if coordinator:
        return [Recipient.user(coordinator)]
    return municipal(Role.COORDINATOR)(event)


def municipal(role: Role, *, of: Callable[[EventContract], str | None] | None = None) -> Audience:
    """Everyone holding `role` in the event's municipality (or the one `of` the event names)."""

    def audience(event: RoutedEvent) -> list[Recipient]:
        municipality = of(event.contract) if of else event.municipality
        return [Recipient.role(role, municipality)] if municipality else []

    return audience


def escalation_level(event: RoutedEvent) -> list[Recipient]:
    """Overdue: first the coordinator, at the supervisor level the supervisors."""
    overdue = event.contract
    if isinstance(overdue, referrals.ReferralOverdue) and overdue.level == "supervisor":
        return municipal(Role.SUPERVISOR)(event)
    return case_coordinators(event)


def agencies_relying_on_consent(event: RoutedEvent) -> list[Recipient]:
    """Consent revoked: the agencies of that type holding a referral for that person in
    their hands (sent, not ended); never one whose referral is a draft it never received."""
    revoked = event.contract
    if not isinstance(revoked, intake.ConsentRevoked):
        return []
    return sorted(
        {
            Recipient.agency(referral.agency_id)
            for referral in event.case_referrals
            if referral.in_agency_hands
            and referral.agency_type == revoked.recipient_agency_type
            and referral.person_id in (None, str(revoked.person_id))
        }
    )


def _to(event: EventContract) -> str | None:
    return event.to_municipality if isinstance(event, intake.TransferFacts) else None


def _from(event: EventContract) -> str | None:
    return event.from_municipality if isinstance(event, intake.TransferFacts) else None


@dataclass(frozen=True)
class Rule:
    summary: str
    audiences: Sequence[Audience]


# The rules, by contract class: a rule can only name an event some contract defines.
RULES: dict[type[EventContract], Rule] = {
    # Referrals: the receiving agency acts on a new referral; the coordinator on its answers.
    referrals.ReferralSent: Rule("A referral was sent to your agency", [receiving_agency]),
    referrals.ReferralAccepted: Rule("The agency accepted the referral", [case_coordinators]),
    referrals.ReferralRejected: Rule("The agency rejected the referral", [case_coordinators]),
    referrals.ReferralCompleted: Rule("The referral was completed", [case_coordinators]),
    referrals.ReferralFailed: Rule("The referral failed", [case_coordinators]),
    referrals.ReferralHeld: Rule("The agency put the referral on hold", [case_coordinators]),
    referrals.ReferralCancelled: Rule(
        "The referral was cancelled", [receiving_agency, case_coordinators]
    ),
    referrals.ReferralEnteredInError: Rule("The referral was entered in error", [receiving_agency]),
    referrals.ReferralReassigned: Rule(
        "A referral now belongs to your municipality", [municipal(Role.COORDINATOR)]
    ),
    referrals.ReferralBlocked: Rule("The referral is blocked", [case_coordinators]),
    referrals.ReferralUnblocked: Rule(
        "The referral is no longer blocked", [case_coordinators, receiving_agency]
    ),
    referrals.ReferralOverdue: Rule("The referral is overdue", [escalation_level]),
    # Documents: a documentation task goes to the municipality's documents officers.
    documents.DocumentationTaskRaised: Rule(
        "A documentation task was raised", [municipal(Role.DOCUMENTS_OFFICER)]
    ),
    documents.DocumentExpiring: Rule(
        "A document is about to expire",
        [municipal(Role.DOCUMENTS_OFFICER), case_coordinators],
    ),
    documents.DocumentExpired: Rule(
        "A document has expired", [municipal(Role.DOCUMENTS_OFFICER), case_coordinators]
    ),
    # Intake: assignment, transfers between municipalities, consent.
    intake.CoordinatorAssigned: Rule("You were assigned a case", [case_coordinators]),
    intake.TransferRequested: Rule(
        "A case transfer to your municipality was requested",
        [municipal(Role.SUPERVISOR, of=_to), municipal(Role.COORDINATOR, of=_to)],
    ),
    intake.TransferDeclined: Rule(
        "The case transfer was declined", [municipal(Role.COORDINATOR, of=_from)]
    ),
    intake.CaseTransferred: Rule(
        "A case was transferred to your municipality", [municipal(Role.COORDINATOR, of=_to)]
    ),
    intake.ConsentRevoked: Rule(
        "Consent for a referral was revoked", [agencies_relying_on_consent]
    ),
    # Closures a coordinator asks for are the supervisors' to decide.
    intake.CaseClosureRequested: Rule(
        "A case closure awaits your decision", [municipal(Role.SUPERVISOR)]
    ),
    intake.CaseClosureRejected: Rule("The case closure was rejected", [case_coordinators]),
    # Onward referrals a partner suggests: the coordinator decides, the partner hears back.
    suggestions.SuggestionMade: Rule("A partner suggested an onward referral", [case_coordinators]),
    suggestions.SuggestionAccepted: Rule(
        "Your suggestion was drafted as a referral", [suggesting_agency]
    ),
    suggestions.SuggestionDeclined: Rule("Your suggestion was declined", [suggesting_agency]),
}


@dataclass(frozen=True, kw_only=True)
class Routing:
    summary: str
    recipients: list[Recipient]


def route(event: RoutedEvent) -> Routing | None:
    """The recipients of an event (each once), or None when nobody is told about it."""
    rule = RULES.get(type(event.contract))
    if rule is None:
        return None
    recipients: list[Recipient] = []
    for audience in rule.audiences:
        recipients.extend(r for r in audience(event) if r not in recipients)
    return Routing(summary=rule.summary, recipients=recipients) if recipients else None
