"""Authentication and role checks from OIDC access tokens (see DESIGN.md, "Security")."""

from homeward.common.auth.client import ClientCredentialsTokenSource, TokenRequestFailed
from homeward.common.auth.deps import (
    CurrentPrincipal,
    bearer_scheme,
    current_principal,
    install_auth,
    require_roles,
    required_roles,
)
from homeward.common.auth.oidc import InvalidToken, JwksCache, TokenValidator
from homeward.common.auth.principal import Principal, Role

__all__ = [
    "ClientCredentialsTokenSource",
    "CurrentPrincipal",
    "InvalidToken",
    "JwksCache",
    "Principal",
    "Role",
    "TokenRequestFailed",
    "TokenValidator",
    "bearer_scheme",
    "current_principal",
    "install_auth",
    "require_roles",
    "required_roles",
]
