"""A development OIDC issuer that serves the Keycloak realm export in deploy/keycloak."""

from homeward.common.idp.app import create_idp_app
from homeward.common.idp.keys import SigningKeys
from homeward.common.idp.realm import DEFAULT_REALM_PATH, Realm, load_realm

__all__ = ["DEFAULT_REALM_PATH", "Realm", "SigningKeys", "create_idp_app", "load_realm"]
