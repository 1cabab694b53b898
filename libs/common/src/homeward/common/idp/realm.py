"""The part of a Keycloak realm export the development issuer understands, and the access
tokens Keycloak would mint from it.

The export in deploy/keycloak is the single source of users, clients, roles and mappers:
Compose imports it into a real Keycloak, `make run` serves it from here. Tokens follow
Keycloak's access-token layout, including what its built-in default client scopes add
(`profile`: preferred_username, `roles`: realm_access, `basic`: sub), so a service cannot
tell the two issuers apart.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger("homeward.idp")

# libs/common/src/homeward/common/idp/realm.py -> the repository root, in a workspace checkout.
REPO_ROOT = Path(__file__).resolve().parents[6]
DEFAULT_REALM_PATH = REPO_ROOT / "deploy" / "keycloak" / "homeward-realm.json"

ATTRIBUTE_MAPPER = "oidc-usermodel-attribute-mapper"
HARDCODED_CLAIM_MAPPER = "oidc-hardcoded-claim-mapper"
AUDIENCE_MAPPER = "oidc-audience-mapper"
SUPPORTED_MAPPERS = frozenset({ATTRIBUTE_MAPPER, HARDCODED_CLAIM_MAPPER, AUDIENCE_MAPPER})
# What Keycloak's default client scopes ("profile email") grant a token without a scope asked.
DEFAULT_SCOPE = "profile email"


@dataclass(frozen=True, kw_only=True)
class ProtocolMapper:
    name: str
    kind: str
    config: Mapping[str, str]

    @property
    def in_access_token(self) -> bool:
        # Keycloak treats a missing setting as "true", for exports older than the setting.
        return self.config.get("access.token.claim", "true") == "true"


@dataclass(frozen=True, kw_only=True)
class User:
    id: str
    username: str
    enabled: bool
    password: str | None
    realm_roles: tuple[str, ...]
    attributes: Mapping[str, tuple[str, ...]]
    service_account_client_id: str | None


@dataclass(frozen=True, kw_only=True)
class Client:
    client_id: str
    enabled: bool
    public: bool
    secret: str | None
    service_accounts_enabled: bool
    direct_access_grants_enabled: bool
    mappers: tuple[ProtocolMapper, ...]


@dataclass(frozen=True, kw_only=True)
class Realm:
    name: str
    access_token_lifespan_s: int
    roles: frozenset[str]
    users: Mapping[str, User]
    clients: Mapping[str, Client]

    def user_named(self, username: str) -> User | None:
        # Keycloak stores usernames in lower case and matches them case-insensitively.
        return self.users.get(username.lower())

    def service_account_of(self, client_id: str) -> User | None:
        return next(
            (u for u in self.users.values() if u.service_account_client_id == client_id), None
        )


def load_realm(path: Path | str = DEFAULT_REALM_PATH) -> Realm:
    export = json.loads(Path(path).read_text(encoding="utf-8"))
    return parse_realm(export)


def parse_realm(export: Mapping[str, Any]) -> Realm:
    """Read a realm export; refuse one that Keycloak itself would refuse to import."""
    name = export["realm"]
    roles = frozenset(role["name"] for role in export.get("roles", {}).get("realm", []))
    users = [_user(name, entry) for entry in export.get("users", [])]
    for user in users:
        if unknown := set(user.realm_roles) - roles:
            raise ValueError(f"user {user.username!r} has undefined realm roles {sorted(unknown)}")
    clients = [_client(entry) for entry in export.get("clients", [])]
    for client in clients:
        for mapper in client.mappers:
            if mapper.kind not in SUPPORTED_MAPPERS:
                logger.warning(
                    "client %s: mapper %r (%s) is not emulated by the development issuer",
                    client.client_id,
                    mapper.name,
                    mapper.kind,
                )
    return Realm(
        name=name,
        access_token_lifespan_s=int(export.get("accessTokenLifespan", 300)),
        roles=roles,
        users={user.username: user for user in users},
        clients={client.client_id: client for client in clients},
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
        realm_roles=tuple(entry.get("realmRoles", [])),
        attributes={k: tuple(v) for k, v in entry.get("attributes", {}).items()},
        service_account_client_id=entry.get("serviceAccountClientId"),
    )


def _client(entry: Mapping[str, Any]) -> Client:
    return Client(
        client_id=entry["clientId"],
        enabled=bool(entry.get("enabled", True)),
        public=bool(entry.get("publicClient", False)),
        secret=entry.get("secret"),
        service_accounts_enabled=bool(entry.get("serviceAccountsEnabled", False)),
        direct_access_grants_enabled=bool(entry.get("directAccessGrantsEnabled", False)),
        mappers=tuple(
            ProtocolMapper(name=m["name"], kind=m["protocolMapper"], config=m.get("config", {}))
            for m in entry.get("protocolMappers", [])
            if m.get("protocol", "openid-connect") == "openid-connect"
        ),
    )


def access_token_claims(
    *, realm: Realm, issuer: str, client: Client, user: User, issued_at: int, token_id: str
) -> dict[str, Any]:
    """The claims of an access token for `user` obtained through `client`."""
    claims: dict[str, Any] = {
        "exp": issued_at + realm.access_token_lifespan_s,
        "iat": issued_at,
        "jti": token_id,
        "iss": issuer,
        "sub": user.id,
        "typ": "Bearer",
        "azp": client.client_id,
        "scope": DEFAULT_SCOPE,
        "realm_access": {"roles": sorted(user.realm_roles)},
        "preferred_username": user.username,
    }
    audiences: list[str] = []
    for mapper in client.mappers:
        if mapper.in_access_token:
            _apply(mapper, user, claims, audiences)
    if audiences:
        # Keycloak writes a single audience as a string and several as a list.
        claims["aud"] = audiences[0] if len(audiences) == 1 else audiences
    if user.service_account_client_id:
        claims["client_id"] = client.client_id
    return claims


def _apply(
    mapper: ProtocolMapper, user: User, claims: dict[str, Any], audiences: list[str]
) -> None:
    config = mapper.config
    if mapper.kind == AUDIENCE_MAPPER:
        audience = config.get("included.custom.audience") or config.get("included.client.audience")
        if audience and audience not in audiences:
            audiences.append(audience)
    elif mapper.kind == HARDCODED_CLAIM_MAPPER:
        _set_claim(claims, config["claim.name"], _typed(config.get("claim.value", ""), config))
    elif mapper.kind == ATTRIBUTE_MAPPER:
        values = user.attributes.get(config["user.attribute"], ())
        if not values:
            return  # Keycloak leaves the claim out rather than writing null
        if config.get("multivalued") == "true":
            _set_claim(claims, config["claim.name"], [_typed(v, config) for v in values])
        else:
            _set_claim(claims, config["claim.name"], _typed(values[0], config))


def _typed(value: str, config: Mapping[str, str]) -> Any:
    match config.get("jsonType.label", "String"):
        case "long" | "int":
            return int(value)
        case "boolean":
            return value.lower() == "true"
        case "JSON":
            return json.loads(value)
        case _:
            return value


def _set_claim(claims: dict[str, Any], name: str, value: Any) -> None:
    # Keycloak nests claims on unescaped dots: "address.city" -> {"address": {"city": ...}}.
    path = [part.replace("\\.", ".") for part in re.split(r"(?<!\\)\.", name)]
    target = claims
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value
