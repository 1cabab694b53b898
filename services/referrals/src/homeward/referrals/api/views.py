"""Rows to response models. The partner's view is a projection: it leaves out what the
municipality wrote for itself (actors, notes), the consent gaps and overrides, the warnings
meant for the coordinator, and everything that happened before the referral was sent."""

from __future__ import annotations

from datetime import datetime

from homeward.referrals.adapters.repository import blocked_on_of, deadlines_for
from homeward.referrals.adapters.tables import ReferralHistoryRow, ReferralRow
from homeward.referrals.api.schemas import HistoryEntryView, ReferralDetailView, ReferralView
from homeward.referrals.domain.deadlines import running_deadline
from homeward.referrals.domain.lifecycle import Action, ReferralState, allowed_actions
from homeward.referrals.handlers.queries import ReferralDetails
from homeward.referrals.settings import ReferralsSettings

# History a partner never sees: a consent override names the legal basis the municipality
# relied on, which is about the person's consent, not the agency's work.
HIDDEN_FROM_PARTNERS = frozenset({"consent-override"})


def referral_view(
    referral: ReferralRow,
    settings: ReferralsSettings,
    *,
    for_partner: bool = False,
    escalation_level: str | None = None,
) -> ReferralView:
    view = ReferralView(
        **referral.model_dump(exclude={"created_by"}),
        blocked_on=blocked_on_of(referral),
        due_at=due_at(referral, settings),
        escalation_level=escalation_level,
        allowed_actions=[a.value for a in allowed_actions(ReferralState(referral.state))],
    )
    if for_partner:
        # A partner learns nothing of consent gaps or overrides; what it may see of the case
        # (the consented categories) is in the detail view's summary. Warnings are sequencing
        # advice to the coordinator: they would tell a religious partner whether basic-needs
        # or mental-health support has started.
        view = view.model_copy(update={"missing_consent": [], "consent_override_basis": None,
                                       "disclose": [], "warnings": []})  # fmt: skip
    return view


def due_at(referral: ReferralRow, settings: ReferralsSettings) -> datetime | None:
    """When the agency's next answer is due: the deadline it runs under now (the same spans
    the events' due dates and the overdue checks use)."""
    spans = deadlines_for(settings, referral.service_category)
    running = running_deadline(
        state=ReferralState(referral.state), sent_at=referral.sent_at,
        accepted_at=referral.accepted_at, acceptance_deadline=spans.acceptance,
        completion_target=spans.completion,
    )  # fmt: skip
    return running.due_at if running else None


def history_view(entry: ReferralHistoryRow, *, for_partner: bool) -> HistoryEntryView:
    view = HistoryEntryView.model_validate(entry)
    if for_partner:
        # Actors and notes are the municipality's working record; partners see what happened.
        view = view.model_copy(update={"actor": None, "note": None})
        if entry.action == "blocked":
            view = view.model_copy(update={"reason_code": _gates_for_partner(entry.reason_code)})
    return view


def partner_history(history: list[ReferralHistoryRow]) -> list[ReferralHistoryRow]:
    """From the sending on (the draft's life is the municipality's), without overrides, and
    without blocks that only the consent gate caused (consent gaps are not the agency's)."""
    sent = next((i for i, e in enumerate(history) if e.action == Action.SEND.value), None)
    if sent is None:
        return []
    return [
        entry
        for entry in history[sent:]
        if entry.action not in HIDDEN_FROM_PARTNERS
        and not (entry.action == "blocked" and not _gates_for_partner(entry.reason_code))
    ]


def _gates_for_partner(reason_code: str | None) -> str | None:
    """ "consent+documents" -> "documents": a block's gates without the consent gate."""
    gates = [gate for gate in (reason_code or "").split("+") if gate and gate != "consent"]
    return "+".join(gates) or None


def referral_detail_view(
    details: ReferralDetails, settings: ReferralsSettings
) -> ReferralDetailView:
    for_partner = details.case_summary is not None
    base = referral_view(details.referral, settings, for_partner=for_partner,
                         escalation_level=details.escalation_level).model_dump()  # fmt: skip
    history = details.history
    if for_partner:
        base["disclose"] = details.shared_categories
        history = partner_history(history)
    return ReferralDetailView(
        **base,
        history=[history_view(e, for_partner=for_partner) for e in history],
        shared_categories=details.shared_categories,
        case_summary=details.case_summary,
    )
