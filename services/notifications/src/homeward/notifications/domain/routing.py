"""Who is told what: one rule per kind of event, read top to bottom.

Each rule names a summary (fixed text: nothing from the event's free fields ever reaches a
reader) and its audiences. An audience turns the event and the known facts into recipients
(scopes). Agencies are also reached by their webhook subscriptions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from homeward.common.auth import Role
from homeward.notifications.domain.facts import RoutedEvent
from homeward.notifications.domain.scopes import Recipient

Audience = Callable[[RoutedEvent], list[Recipient]]


def receiving_agency(event: RoutedEvent) -> list[Recipient]:
    return [Recipient.agency(event.agency_id)] if event.agency_id else []


def case_coordinators(event: RoutedEvent) -> list[Recipient]:
    """The assigned coordinator, or every coordinator of the municipality while none is."""
    coordinator = event.case.coordinator if event.case else None
    requester = event.referral.requested_by if event.referral else None
    if coordinator is None and requester and "#" not in requester:
        coordinator = requester  # a username; an issuer#subject actor cannot be addressed
    if coordinator and event.municipality:
        return [Recipient.user(coordinator, event.municipality)]
    return municipal(Role.COORDINATOR)(event)


def municipal(role: Role, *, field: str | None = None) -> Audience:
    """Everyone holding `role` in the event's municipality (or the one named by `field`)."""

    def audience(event: RoutedEvent) -> list[Recipient]:
        municipality = event.text(field) if field else event.municipality
        return [Recipient.role(role, municipality)] if municipality else []

    return audience


def escalation_level(event: RoutedEvent) -> list[Recipient]:
    """Overdue: first the coordinator, from the second level on the supervisor."""
    level = event.data.get("level", 1)
    if isinstance(level, str):
        to_supervisor = (level.isdigit() and int(level) >= 2) or "supervisor" in level
    else:
        to_supervisor = isinstance(level, int) and level >= 2
    if to_supervisor:
        return municipal(Role.SUPERVISOR)(event)
    return case_coordinators(event)


def agencies_relying_on_consent(event: RoutedEvent) -> list[Recipient]:
    """Consent revoked: the agencies of that type with active referrals for that person."""
    agency_type = event.text("recipient_agency_type")
    person_id = event.text("person_id")
    return sorted(
        {
            Recipient.agency(referral.agency_id)
            for referral in event.case_referrals
            if referral.active
            and referral.agency_type == agency_type
            and (person_id is None or referral.person_id in (None, person_id))
        }
    )


@dataclass(frozen=True)
class Rule:
    summary: str
    audiences: Sequence[Audience]


# The rules, by `noun.verb` of the event type (any version).
RULES: dict[str, Rule] = {
    # Referrals: the receiving agency acts on a new referral; the coordinator on its answers.
    "referral.sent": Rule("A referral was sent to your agency", [receiving_agency]),
    "referral.accepted": Rule("The agency accepted the referral", [case_coordinators]),
    "referral.rejected": Rule("The agency rejected the referral", [case_coordinators]),
    "referral.completed": Rule("The referral was completed", [case_coordinators]),
    "referral.failed": Rule("The referral failed", [case_coordinators]),
    "referral.held": Rule("The agency put the referral on hold", [case_coordinators]),
    "referral.cancelled": Rule("The referral was cancelled", [receiving_agency]),
    "referral.voided": Rule("The referral was entered in error", [receiving_agency]),
    "referral.reassigned": Rule(
        "A referral now belongs to your municipality", [municipal(Role.COORDINATOR)]
    ),
    "referral.blocked": Rule("The referral is blocked", [case_coordinators]),
    "referral.unblocked": Rule(
        "The referral is no longer blocked", [case_coordinators, receiving_agency]
    ),
    # Overdue referrals are published as `escalated` with the level to tell.
    "referral.escalated": Rule("The referral is overdue", [escalation_level]),
    "referral.overdue": Rule("The referral is overdue", [escalation_level]),
    # Documents: a documentation task goes to the municipality's documents officers.
    "documentation_task.raised": Rule(
        "A documentation task was raised", [municipal(Role.DOCUMENTS_OFFICER)]
    ),
    "document_record.expiry_warned": Rule(
        "A document is about to expire",
        [municipal(Role.DOCUMENTS_OFFICER), case_coordinators],
    ),
    "document_record.expired": Rule(
        "A document has expired", [municipal(Role.DOCUMENTS_OFFICER), case_coordinators]
    ),
    # Intake: assignment, transfers between municipalities, consent.
    "case.coordinator_assigned": Rule("You were assigned a case", [case_coordinators]),
    "transfer.requested": Rule(
        "A case transfer to your municipality was requested",
        [
            municipal(Role.SUPERVISOR, field="to_municipality"),
            municipal(Role.COORDINATOR, field="to_municipality"),
        ],
    ),
    "transfer.declined": Rule(
        "The case transfer was declined", [municipal(Role.COORDINATOR, field="from_municipality")]
    ),
    "case.transferred": Rule(
        "A case was transferred to your municipality",
        [municipal(Role.COORDINATOR, field="to_municipality")],
    ),
    "consent.revoked": Rule("Consent for a referral was revoked", [agencies_relying_on_consent]),
}


@dataclass(frozen=True, kw_only=True)
class Routing:
    summary: str
    recipients: list[Recipient]


def route(event: RoutedEvent) -> Routing | None:
    """The recipients of an event (each once), or None when nobody is told about it."""
    rule = RULES.get(event.action)
    if rule is None:
        return None
    recipients: list[Recipient] = []
    for audience in rule.audiences:
        recipients.extend(r for r in audience(event) if r not in recipients)
    return Routing(summary=rule.summary, recipients=recipients) if recipients else None


def routed_actions() -> frozenset[str]:
    return frozenset(RULES)
