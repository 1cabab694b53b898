"""The part of a Keycloak realm export the development issuer understands (`tokens.py` mints
the access tokens Keycloak 26 would mint from it).

The export in deploy/keycloak is the single source of users, clients, roles, client scopes
and mappers: Compose imports it into a real Keycloak, `make run` serves it from here. Every
claim of a token comes from the file, as in Keycloak: the fixed part of Keycloak's
`TokenManager.initToken` (exp, iat, jti, iss, typ, azp, scope, sid), then the protocol mappers
of the client itself and of the client scopes it is given (`basic` adds `sub`, `roles` adds
`realm_access`, `profile` adds `preferred_username`, ...). Nothing else is hard-coded, so the
two issuers cannot drift apart: change a scope in the file and both change.

An export without `clientScopes` is refused. Keycloak would then create its own built-in
scopes, whose contents changed between versions (25 added `basic`, which carries `sub`;
26.1 added `service_account`), and the file would no longer say what tokens contain.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homeward.common.idp.tokens import CLIENT_ROLE_MAPPER, REALM_ROLE_MAPPER, SUPPORTED_MAPPERS

logger = logging.getLogger("homeward.idp")

# libs/common/src/homeward/common/idp/realm.py -> the repository root, in a workspace checkout.
REPO_ROOT = Path(__file__).resolve().parents[6]
DEFAULT_REALM_PATH = REPO_ROOT / "deploy" / "keycloak" / "homeward-realm.json"

OIDC = "openid-connect"
# Keycloak's UserModel answers these attribute names from the user's own fields.
_USER_PROPERTIES = {"username", "email", "firstName", "lastName", "emailVerified", "enabled"}


class InvalidScope(ValueError):
    """A requested scope the client does not have (Keycloak answers 400 invalid_scope)."""


@dataclass(frozen=True, kw_only=True)
class ProtocolMapper:
    name: str
    kind: str
    config: Mapping[str, str]

    def in_token(self, kind: str) -> bool:
        """Whether the mapper writes into `kind` ("access", "id" or "userinfo")."""
        # Keycloak treats a missing access-token setting as "true", for exports older than
        # the setting; the ID-token and userinfo settings default to "false".
        default = "true" if kind == "access" else "false"
        return self.config.get(f"{kind}.token.claim", default) == "true"


@dataclass(frozen=True, kw_only=True)
class ClientScope:
    name: str
    include_in_token_scope: bool
    mappers: tuple[ProtocolMapper, ...]


@dataclass(frozen=True, kw_only=True)
class User:
    id: str
    username: str
    enabled: bool
    password: str | None
    realm_roles: tuple[str, ...]
    attributes: Mapping[str, tuple[str, ...]]
    service_account_client_id: str | None
    email: str | None = None
    email_verified: bool = False
    first_name: str | None = None
    last_name: str | None = None
    client_roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def values_of(self, attribute: str) -> tuple[str, ...]:
        """An attribute as Keycloak's UserModel answers it: fields first, then attributes."""
        if attribute in _USER_PROPERTIES:
            value = {
                "username": self.username,
                "email": self.email,
                "firstName": self.first_name,
                "lastName": self.last_name,
                "emailVerified": str(self.email_verified).lower(),
                "enabled": str(self.enabled).lower(),
            }[attribute]
            return (value,) if value is not None else ()
        return self.attributes.get(attribute, ())


@dataclass(frozen=True, kw_only=True)
class Client:
    client_id: str
    enabled: bool
    public: bool
    secret: str | None
    service_accounts_enabled: bool
    direct_access_grants_enabled: bool
    mappers: tuple[ProtocolMapper, ...]
    default_scopes: tuple[str, ...] = ()
    optional_scopes: tuple[str, ...] = ()
    web_origins: tuple[str, ...] = ()
    full_scope_allowed: bool = True
    standard_flow_enabled: bool = False
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    # The client's "pkce.code.challenge.method" attribute: PKCE is then required.
    pkce_method: str | None = None


@dataclass(frozen=True, kw_only=True)
class BruteForcePolicy:
    """The realm's brute-force detection settings, with Keycloak's defaults."""

    enabled: bool = False
    permanent_lockout: bool = False
    failure_factor: int = 30
    wait_increment_s: int = 60
    max_failure_wait_s: int = 900
    max_delta_time_s: int = 43200
    quick_login_check_ms: int = 1000
    minimum_quick_login_wait_s: int = 60


@dataclass(frozen=True, kw_only=True)
class Lifespans:
    """Keycloak's realm lifespans, in seconds (RealmRepresentation defaults)."""

    access_code: int = 60  # accessCodeLifespan: code to token
    login: int = 1800  # accessCodeLifespanLogin: how long a login page may stay open
    sso_idle: int = 1800  # ssoSessionIdleTimeout
    sso_max: int = 36000  # ssoSessionMaxLifespan


@dataclass(frozen=True, kw_only=True)
class Realm:
    name: str
    access_token_lifespan_s: int
    roles: frozenset[str]
    users: Mapping[str, User]
    clients: Mapping[str, Client]
    client_scopes: Mapping[str, ClientScope] = field(default_factory=dict)
    lifespans: Lifespans = field(default_factory=Lifespans)
    brute_force: BruteForcePolicy = field(default_factory=BruteForcePolicy)

    def user_named(self, username: str) -> User | None:
        # Keycloak stores usernames in lower case and matches them case-insensitively.
        return self.users.get(username.lower())

    def user_by_id(self, user_id: str) -> User | None:
        return next((u for u in self.users.values() if u.id == user_id), None)

    def service_account_of(self, client_id: str) -> User | None:
        return next(
            (u for u in self.users.values() if u.service_account_client_id == client_id), None
        )

    def scopes_for(self, client: Client, requested: str | None = None) -> list[ClientScope]:
        """The client scopes a token request gets: all the client's default scopes, plus the
        optional ones named in `requested` (TokenManager.getRequestedClientScopes)."""
        names = list(client.default_scopes)
        for name in (requested or "").split():
            if name == "openid" or name in names:
                continue
            if name not in client.optional_scopes:
                raise InvalidScope(f"Invalid scopes: {requested}")
            names.append(name)
        return [self.client_scopes[name] for name in names if name in self.client_scopes]


def load_realm(path: Path | str = DEFAULT_REALM_PATH) -> Realm:
    export = json.loads(Path(path).read_text(encoding="utf-8"))
    return parse_realm(export)


def parse_realm(export: Mapping[str, Any]) -> Realm:
    """Read a realm export; refuse one that Keycloak itself would refuse to import, or one
    whose tokens would depend on the Keycloak version's built-in defaults."""
    name = export["realm"]
    if export.get("clientScopes") is None:
        raise ValueError(
            "the realm export declares no clientScopes: Keycloak would create its own, "
            "version-dependent built-in scopes; declare the scopes the tokens need"
        )
    roles = frozenset(role["name"] for role in export.get("roles", {}).get("realm", []))
    scopes = {
        entry["name"]: _client_scope(entry)
        for entry in export["clientScopes"]
        if entry.get("protocol", OIDC) == OIDC
    }
    realm_defaults = tuple(export.get("defaultDefaultClientScopes", ()))
    realm_optional = tuple(export.get("defaultOptionalClientScopes", ()))
    for scope_name in (*realm_defaults, *realm_optional):
        if scope_name not in scopes:
            # Keycloak logs "Referenced client scope ... doesn't exist" and skips it.
            logger.warning("realm default client scope %r is not declared", scope_name)
    users = [_user(name, entry) for entry in export.get("users", [])]
    for user in users:
        if unknown := set(user.realm_roles) - roles:
            raise ValueError(f"user {user.username!r} has undefined realm roles {sorted(unknown)}")
    clients = [_client(c, realm_defaults, realm_optional) for c in export.get("clients", [])]
    for client in clients:
        _check_client(client, scopes)
    return Realm(
        name=name,
        access_token_lifespan_s=int(export.get("accessTokenLifespan", 300)),
        roles=roles,
        users={user.username: user for user in users},
        clients={client.client_id: client for client in clients},
        client_scopes=scopes,
        lifespans=Lifespans(
            access_code=int(export.get("accessCodeLifespan", 60)),
            login=int(export.get("accessCodeLifespanLogin", 1800)),
            sso_idle=int(export.get("ssoSessionIdleTimeout", 1800)),
            sso_max=int(export.get("ssoSessionMaxLifespan", 36000)),
        ),
        brute_force=_brute_force(export),
    )


def _brute_force(export: Mapping[str, Any]) -> BruteForcePolicy:
    default = BruteForcePolicy()
    return BruteForcePolicy(
        enabled=bool(export.get("bruteForceProtected", False)),
        permanent_lockout=bool(export.get("permanentLockout", False)),
        failure_factor=int(export.get("failureFactor", default.failure_factor)),
        wait_increment_s=int(export.get("waitIncrementSeconds", default.wait_increment_s)),
        max_failure_wait_s=int(export.get("maxFailureWaitSeconds", default.max_failure_wait_s)),
        max_delta_time_s=int(export.get("maxDeltaTimeSeconds", default.max_delta_time_s)),
        quick_login_check_ms=int(
            export.get("quickLoginCheckMilliSeconds", default.quick_login_check_ms)
        ),
        minimum_quick_login_wait_s=int(
            export.get("minimumQuickLoginWaitSeconds", default.minimum_quick_login_wait_s)
        ),
    )


def _check_client(client: Client, scopes: Mapping[str, ClientScope]) -> None:
    reachable = list(client.mappers)
    for scope_name in (*client.default_scopes, *client.optional_scopes):
        if scope_name not in scopes:
            logger.warning("client %s: undeclared client scope %r", client.client_id, scope_name)
            continue
        reachable += scopes[scope_name].mappers
    for mapper in reachable:
        if mapper.kind not in SUPPORTED_MAPPERS:
            logger.warning(
                "client %s: mapper %r (%s) is not emulated by the development issuer",
                client.client_id,
                mapper.name,
                mapper.kind,
            )
    if not client.full_scope_allowed and any(
        m.kind in (REALM_ROLE_MAPPER, CLIENT_ROLE_MAPPER) for m in reachable
    ):
        logger.warning(
            "client %s: fullScopeAllowed=false (role scope mappings) is not emulated",
            client.client_id,
        )


def _mappers(entries: Iterable[Mapping[str, Any]]) -> tuple[ProtocolMapper, ...]:
    return tuple(
        ProtocolMapper(name=m["name"], kind=m["protocolMapper"], config=m.get("config", {}))
        for m in entries
        if m.get("protocol", OIDC) == OIDC
    )


def _client_scope(entry: Mapping[str, Any]) -> ClientScope:
    attributes = entry.get("attributes", {})
    return ClientScope(
        name=entry["name"],
        # ClientScopeModel.isIncludeInTokenScope: a missing attribute means "true".
        include_in_token_scope=attributes.get("include.in.token.scope", "true") == "true",
        mappers=_mappers(entry.get("protocolMappers", [])),
    )


def _user(realm_name: str, entry: Mapping[str, Any]) -> User:
    username = entry["username"].lower()
    # Exports may carry hashed credentials only; those cannot be checked here, and such a
    # user simply cannot log in to the development issuer.
    passwords = [
        credential["value"]
        for credential in entry.get("credentials", [])
        if credential.get("type") == "password" and "value" in credential
    ]
    return User(
        # A stable id when the export has none, so `sub` survives restarts.
        id=entry.get("id") or str(uuid.uuid5(uuid.NAMESPACE_URL, f"{realm_name}/{username}")),
        username=username,
        enabled=bool(entry.get("enabled", False)),  # Keycloak's import default
        password=passwords[0] if passwords else None,
        # Imported users get exactly these roles: the realm import adds users without the
        # realm's default role (default-roles-<realm>), unlike the admin API.
        realm_roles=tuple(entry.get("realmRoles", [])),
        client_roles={k: tuple(v) for k, v in entry.get("clientRoles", {}).items()},
        attributes={k: tuple(v) for k, v in entry.get("attributes", {}).items()},
        service_account_client_id=entry.get("serviceAccountClientId"),
        email=entry.get("email"),
        email_verified=bool(entry.get("emailVerified", False)),
        first_name=entry.get("firstName"),
        last_name=entry.get("lastName"),
    )


def _client(
    entry: Mapping[str, Any], realm_defaults: tuple[str, ...], realm_optional: tuple[str, ...]
) -> Client:
    explicit = "defaultClientScopes" in entry or "optionalClientScopes" in entry
    attributes = entry.get("attributes", {})
    redirect_uris = tuple(entry.get("redirectUris", []))
    return Client(
        client_id=entry["clientId"],
        enabled=bool(entry.get("enabled", True)),
        public=bool(entry.get("publicClient", False)),
        secret=entry.get("secret"),
        service_accounts_enabled=bool(entry.get("serviceAccountsEnabled", False)),
        direct_access_grants_enabled=bool(entry.get("directAccessGrantsEnabled", False)),
        mappers=_mappers(entry.get("protocolMappers", [])),
        # A client that names no scopes gets the realm's defaults when it is created
        # (the login protocol's ClientCreationEvent listener); one that names any gets
        # exactly those (RepresentationToModel.updateClientScopes).
        default_scopes=tuple(entry.get("defaultClientScopes", []) if explicit else realm_defaults),
        optional_scopes=tuple(
            entry.get("optionalClientScopes", []) if explicit else realm_optional
        ),
        web_origins=tuple(entry.get("webOrigins", [])),
        full_scope_allowed=bool(entry.get("fullScopeAllowed", True)),
        standard_flow_enabled=bool(entry.get("standardFlowEnabled", True)),
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=_post_logout_uris(attributes, redirect_uris),
        pkce_method=attributes.get("pkce.code.challenge.method") or None,
    )


def _post_logout_uris(
    attributes: Mapping[str, str], redirect_uris: tuple[str, ...]
) -> tuple[str, ...]:
    # Keycloak keeps them "##"-separated in one attribute; "+" means "the redirect URIs".
    uris: list[str] = []
    for uri in filter(None, attributes.get("post.logout.redirect.uris", "").split("##")):
        uris.extend(redirect_uris if uri == "+" else [uri])
    return tuple(uris)
