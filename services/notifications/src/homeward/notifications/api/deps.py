"""Who may call which route (403 otherwise); object scope is checked in the handlers (404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from homeward.common.auth import Principal, Role, require_roles
from homeward.common.crypto import KeyRing
from homeward.notifications.adapters.addresses import UrlPolicy
from homeward.notifications.live import NotificationSignal
from homeward.notifications.settings import NotificationsSettings

# Everyone who can be addressed has an inbox; an auditor sees the audit log only.
InboxReader = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.COORDINATOR, Role.SUPERVISOR, Role.DOCUMENTS_OFFICER, Role.PARTNER, Role.ADMIN
        )
    ),
]
EmailSubscriber = Annotated[
    Principal, Depends(require_roles(Role.COORDINATOR, Role.SUPERVISOR, Role.PARTNER))
]
WebhookManager = Annotated[Principal, Depends(require_roles(Role.PARTNER, Role.ADMIN))]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


def _settings(request: Request) -> NotificationsSettings:
    return request.app.state.parts.settings


def _keyring(request: Request) -> KeyRing:
    return request.app.state.keyring


def _signal(request: Request) -> NotificationSignal:
    return request.app.state.signal


def _url_policy(request: Request) -> UrlPolicy:
    return request.app.state.url_policy


SettingsDep = Annotated[NotificationsSettings, Depends(_settings)]
KeyRingDep = Annotated[KeyRing, Depends(_keyring)]
SignalDep = Annotated[NotificationSignal, Depends(_signal)]
UrlPolicyDep = Annotated[UrlPolicy, Depends(_url_policy)]
