"""What a notification says, in every channel: codes, enums, dates and a link. Nothing else.

Content is built from an allowlist of event fields, each checked against the shape it must
have (a code, a slug, a date): a producer that one day adds a name or a note to an event
cannot push it into an inbox, a webhook or an email from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from homeward.notifications.domain.facts import RoutedEvent
from homeward.notifications.domain.languages import (
    CASE_LINE,
    DUE_LINE,
    LINK_LINE,
    SERVICE_LINE,
    SERVICE_NAMES,
    translator,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9_.@-]{0,63}$")
CODE = re.compile(r"^[A-Z]{1,3}-[A-Z0-9]{2,8}(-[A-Z0-9]{1,8})?$")  # HW-7KQ3-M9, P-4TXR-8N
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$")

# Field -> the shape its value must have to be shown.
DETAIL_FIELDS: dict[str, re.Pattern[str]] = {
    "case_code": CODE,
    "person_code": CODE,
    "case_id": UUID,
    "referral_id": UUID,
    "person_id": UUID,
    "task_id": UUID,
    "transfer_id": UUID,
    "service_category": SLUG,
    "agency_id": SLUG,
    "agency_type": SLUG,
    "document_type": SLUG,
    "blocked_on": SLUG,
    "reason_code": SLUG,
    "outcome": SLUG,
    "priority": SLUG,
    "state": SLUG,
    "level": re.compile(r"^[0-9a-z-]{1,20}$"),
    "deadline": SLUG,  # which deadline: acceptance | completion
    "due_at": MOMENT,
    "acceptance_due_at": MOMENT,
    "completion_due_at": MOMENT,
    "expiry_on": MOMENT,
    "from_municipality": SLUG,
    "to_municipality": SLUG,
    "municipality": SLUG,
}


# The deadline an email names, the first found: the answer due from whoever receives it.
DUE_FIELDS = ("due_at", "acceptance_due_at", "completion_due_at")


@dataclass(frozen=True, kw_only=True)
class Content:
    event_type: str
    summary: str
    case_code: str | None
    details: dict[str, str]
    link: str


def safe_details(data: dict[str, Any] | Any) -> dict[str, str]:
    details: dict[str, str] = {}
    for name, shape in DETAIL_FIELDS.items():
        value = data.get(name) if isinstance(data, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and shape.match(value):
            details[name] = value
    return details


def build_content(event: RoutedEvent, *, summary: str, app_base_url: str) -> Content:
    details = safe_details(dict(event.data))
    case_code = event.case_code if event.case_code and CODE.match(event.case_code) else None
    if case_code:
        details["case_code"] = case_code
    return Content(
        event_type=event.event_type,
        summary=summary,
        case_code=case_code,
        details=details,
        link=link_for(details, app_base_url=app_base_url),
    )


def link_for(details: dict[str, str], *, app_base_url: str) -> str:
    base = app_base_url.rstrip("/")
    if "referral_id" in details:
        return f"{base}/referrals/{details['referral_id']}"
    if "case_id" in details:
        return f"{base}/cases/{details['case_id']}"
    return f"{base}/notifications"


def email_text(content: Content, locale: str | None) -> tuple[str, str]:
    """Subject and body of an email in the reader's language: the case code, what happened,
    the service, the deadline and a link, nothing else."""
    _ = translator(locale)
    case = content.case_code or "Homeward"
    summary = _(content.summary)
    subject = f"[{case}] {summary}"
    lines = [f"{summary}.", "", _(CASE_LINE) % {"case": case}]
    if service := content.details.get("service_category"):
        name = SERVICE_NAMES.get(service)
        lines.append(_(SERVICE_LINE) % {"service": _(name) if name else service})
    if due := next((content.details[f] for f in DUE_FIELDS if f in content.details), None):
        day = due[:10]
        lines.append(_(DUE_LINE) % {"date": f"{day[8:10]}.{day[5:7]}.{day[:4]}"})
    lines.append(_(LINK_LINE) % {"link": content.link})
    return subject, "\n".join(lines) + "\n"
