"""Settings of the console (environment prefix `HOMEWARD_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr

from homeward.common.settings import CommonSettings

DEV_CLIENT_SECRET = "homeward-console-secret"  # noqa: S105  (the realm file's development value)


class ConsoleSettings(CommonSettings):
    service_name: ClassVar[str] = "console"
    dev_secret_defaults: ClassVar[dict[str, str]] = {
        **CommonSettings.dev_secret_defaults,
        "oidc_client_secret": DEV_CLIENT_SECRET,
    }

    public_base_url: str = "http://127.0.0.1:8405"
    # The confidential client of the authorization code flow (with PKCE).
    oidc_client_id: str = "homeward-console"
    oidc_client_secret: SecretStr = SecretStr(DEV_CLIENT_SECRET)
    # The four APIs, called with the signed-in user's own access token.
    intake_url: str = "http://127.0.0.1:8401"
    referrals_url: str = "http://127.0.0.1:8402"
    documents_url: str = "http://127.0.0.1:8403"
    notifications_url: str = "http://127.0.0.1:8404"
    api_timeout_s: float = Field(default=10.0, gt=0)
    # Shared computers: a session ends after this long without a request; the page warns first.
    idle_timeout_s: int = Field(default=15 * 60, ge=60)
    idle_warning_s: int = Field(default=2 * 60, ge=10)
    absolute_timeout_s: int = Field(default=12 * 3600, ge=600)
    # Dates are shown in this zone (dd.mm.yyyy).
    time_zone: str = "Asia/Almaty"
    default_locale: str = "en"

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_base_url.rstrip('/')}/auth/callback"

    @property
    def secure_cookies(self) -> bool:
        """Secure cookies outside loopback (a browser refuses them over plain http)."""
        return not self.public_base_url.startswith(("http://127.0.0.1", "http://localhost"))
