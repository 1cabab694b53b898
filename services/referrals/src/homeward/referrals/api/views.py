"""Rows to response models; the partner's view leaves out what the requester wrote for itself."""

from __future__ import annotations

from homeward.referrals.adapters.tables import ReferralHistoryRow, ReferralRow
from homeward.referrals.api.schemas import HistoryEntryView, ReferralDetailView, ReferralView
from homeward.referrals.domain.lifecycle import ReferralState, allowed_actions
from homeward.referrals.handlers.queries import ReferralDetails


def referral_view(referral: ReferralRow, *, for_partner: bool = False) -> ReferralView:
    view = ReferralView(
        **referral.model_dump(exclude={"created_by"}),
        blocked_on=referral.blocked_on,
        allowed_actions=[a.value for a in allowed_actions(ReferralState(referral.state))],
    )
    if for_partner:
        # A partner learns nothing of consent gaps or overrides; what it may see of the case
        # (the consented categories) is in the detail view's summary.
        view = view.model_copy(update={"missing_consent": [], "consent_override_basis": None,
                                       "disclose": []})  # fmt: skip
    return view


def history_view(entry: ReferralHistoryRow, *, for_partner: bool) -> HistoryEntryView:
    view = HistoryEntryView.model_validate(entry)
    if for_partner:
        # Actors and notes are the municipality's working record; partners see what happened.
        view = view.model_copy(update={"actor": None, "note": None})
    return view


def referral_detail_view(details: ReferralDetails) -> ReferralDetailView:
    for_partner = details.case_summary is not None
    base = referral_view(details.referral, for_partner=for_partner).model_dump()
    if for_partner:
        base["disclose"] = details.shared_categories
    return ReferralDetailView(
        **base,
        history=[history_view(e, for_partner=for_partner) for e in details.history],
        shared_categories=details.shared_categories,
        case_summary=details.case_summary,
    )
