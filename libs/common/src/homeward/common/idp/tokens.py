"""The access tokens Keycloak 26 mints for a realm: its fixed claims, then the protocol
mappers of the client and of the client scopes it is given, run in Keycloak's order.

Every claim comes from the realm export (see `realm.py`); nothing here names a Homeward claim.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from homeward.common.idp.realm import Client, ClientScope, ProtocolMapper, Realm, User

# Mapper types, by Keycloak provider id.
ATTRIBUTE_MAPPER = "oidc-usermodel-attribute-mapper"
PROPERTY_MAPPER = "oidc-usermodel-property-mapper"
FULL_NAME_MAPPER = "oidc-full-name-mapper"
ADDRESS_MAPPER = "oidc-address-mapper"
HARDCODED_CLAIM_MAPPER = "oidc-hardcoded-claim-mapper"
AUDIENCE_MAPPER = "oidc-audience-mapper"
AUDIENCE_RESOLVE_MAPPER = "oidc-audience-resolve-mapper"
REALM_ROLE_MAPPER = "oidc-usermodel-realm-role-mapper"
CLIENT_ROLE_MAPPER = "oidc-usermodel-client-role-mapper"
SESSION_NOTE_MAPPER = "oidc-usersessionmodel-note-mapper"
SUB_MAPPER = "oidc-sub-mapper"
ACR_MAPPER = "oidc-acr-mapper"
ALLOWED_ORIGINS_MAPPER = "oidc-allowed-origins-mapper"
SUPPORTED_MAPPERS = frozenset(
    {
        ATTRIBUTE_MAPPER,
        PROPERTY_MAPPER,
        FULL_NAME_MAPPER,
        ADDRESS_MAPPER,
        HARDCODED_CLAIM_MAPPER,
        AUDIENCE_MAPPER,
        AUDIENCE_RESOLVE_MAPPER,
        REALM_ROLE_MAPPER,
        CLIENT_ROLE_MAPPER,
        SESSION_NOTE_MAPPER,
        SUB_MAPPER,
        ACR_MAPPER,
        ALLOWED_ORIGINS_MAPPER,
    }
)
# Keycloak sorts mappers by priority before running them (ProtocolMapperUtils
# .getSortedProtocolMappers): the Subject mapper runs first, and "audience resolve" runs after
# the role mappers because it reads the resource_access they wrote.
_MAPPER_PRIORITY = {SUB_MAPPER: -10, AUDIENCE_RESOLVE_MAPPER: 10}
# User-session notes Keycloak sets for the client-credentials grant (ClientCredentialsGrantType);
# the `service_account` client scope maps them into the token.
CLIENT_ID_NOTE, CLIENT_HOST_NOTE, CLIENT_ADDRESS_NOTE = "client_id", "clientHost", "clientAddress"
# Set by a browser login (AuthenticationManager); the basic scope maps it to auth_time.
AUTH_TIME_NOTE = "AUTH_TIME"
# Keycloak's client-session note for a login the SSO cookie did (AuthenticationManager.SSO_AUTH).
SSO_AUTH_NOTE = "SSO_AUTH"


def access_token_claims(
    *,
    realm: Realm,
    issuer: str,
    client: Client,
    user: User,
    issued_at: int,
    token_id: str,
    requested_scope: str | None = None,
    session_id: str | None = None,
    session_notes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The claims of an access token for `user` obtained through `client`.

    `session_id` is the user session's id (the `sid` claim); None for a transient session,
    which is what Keycloak uses for the client-credentials grant. `session_notes` are the
    user-session notes protocol mappers may read (client_id, clientHost, ... for service
    accounts).
    """
    scopes = realm.scopes_for(client, requested_scope)
    scope_names = [scope.name for scope in scopes if scope.include_in_token_scope]
    if "openid" in (requested_scope or "").split():
        scope_names.insert(0, "openid")
    # TokenManager.initToken: what every access token carries before any mapper runs.
    claims: dict[str, Any] = {
        "exp": issued_at + realm.access_token_lifespan_s,
        "iat": issued_at,
        "jti": token_id,
        "iss": issuer,
        "typ": "Bearer",
        "azp": client.client_id,
    }
    if session_id is not None:
        claims["sid"] = session_id
    if user.service_account_client_id:
        # "The Subject (sub) mapper has no effect for service accounts ... the sub claim is
        # always added" (Keycloak 25 upgrading notes).
        claims["sub"] = user.id
    claims["scope"] = " ".join(scope_names)

    _run_mappers("access", scopes, _Context(client, user, session_notes or {}), claims)
    return claims


def id_token_claims(
    *,
    realm: Realm,
    issuer: str,
    client: Client,
    user: User,
    issued_at: int,
    token_id: str,
    requested_scope: str | None,
    session_id: str | None,
    session_notes: Mapping[str, str] | None = None,
    nonce: str | None = None,
    access_token_hash: str | None = None,
) -> dict[str, Any]:
    """The claims of an ID token (TokenManager.initIDToken, then the ID-token mappers)."""
    claims: dict[str, Any] = {
        "exp": issued_at + realm.access_token_lifespan_s,
        "iat": issued_at,
        "jti": token_id,
        "iss": issuer,
        "aud": client.client_id,
        "sub": user.id,
        "typ": "ID",
        "azp": client.client_id,
    }
    if nonce is not None:
        claims["nonce"] = nonce
    if session_id is not None:
        claims["sid"] = session_id
    if access_token_hash is not None:
        claims["at_hash"] = access_token_hash
    scopes = realm.scopes_for(client, requested_scope)
    _run_mappers("id", scopes, _Context(client, user, session_notes or {}), claims)
    claims["aud"] = client.client_id  # audience mappers never widen an ID token's audience
    return claims


def userinfo_claims(
    *, realm: Realm, client: Client, user: User, scope: str, session_notes: Mapping[str, str]
) -> dict[str, Any]:
    """What the userinfo endpoint answers for an access token's user, client and scope."""
    claims: dict[str, Any] = {"sub": user.id}
    scopes = realm.scopes_for(client, scope)
    _run_mappers("userinfo", scopes, _Context(client, user, session_notes), claims)
    claims.pop("aud", None)
    return claims


def _run_mappers(
    kind: str, scopes: Iterable[ClientScope], context: _Context, claims: dict[str, Any]
) -> None:
    mappers = [*context.client.mappers, *(mapper for scope in scopes for mapper in scope.mappers)]
    mappers.sort(key=lambda mapper: _MAPPER_PRIORITY.get(mapper.kind, 0))
    for mapper in mappers:
        if mapper.in_token(kind):
            _apply(mapper, context, claims)
    if context.audiences:
        # Keycloak writes a single audience as a string and several as a list.
        audiences = context.audiences
        claims["aud"] = audiences[0] if len(audiences) == 1 else audiences


@dataclass
class _Context:
    client: Client
    user: User
    notes: Mapping[str, str]
    audiences: list[str] = field(default_factory=list)

    def add_audience(self, audience: str | None) -> None:
        if audience and audience not in self.audiences:
            self.audiences.append(audience)


def _apply(mapper: ProtocolMapper, context: _Context, claims: dict[str, Any]) -> None:
    config, user = mapper.config, context.user
    match mapper.kind:
        case "oidc-sub-mapper":
            claims["sub"] = user.id
        case "oidc-audience-mapper":
            context.add_audience(
                config.get("included.custom.audience") or config.get("included.client.audience")
            )
        case "oidc-hardcoded-claim-mapper":
            _set_claim(claims, config["claim.name"], _typed(config.get("claim.value", ""), config))
        case "oidc-usermodel-attribute-mapper" | "oidc-usermodel-property-mapper":
            _set_values(claims, config, user.values_of(config["user.attribute"]))
        case "oidc-usersessionmodel-note-mapper":
            note = context.notes.get(config.get("user.session.note", ""))
            if note is not None:
                _set_claim(claims, config["claim.name"], _typed(note, config))
        case "oidc-full-name-mapper":
            # FullNameMapper: "given family", leaving the claim out when both are empty.
            name = " ".join(part for part in (user.first_name, user.last_name) if part)
            if name:
                claims["name"] = name
        case "oidc-address-mapper":
            address = {
                claim: values[0]
                for claim in ("formatted", "street", "locality", "region", "postal_code", "country")
                if (values := user.values_of(config.get(f"user.attribute.{claim}", claim)))
            }
            if address:
                claims["address"] = address
        case "oidc-usermodel-realm-role-mapper":
            _set_values(claims, config, user.realm_roles, roles=True)
        case "oidc-usermodel-client-role-mapper":
            only = config.get("usermodel.clientRoleMapping.clientId")
            for client_id, roles in user.client_roles.items():
                if roles and (not only or only == client_id):
                    name = config["claim.name"].replace("${client_id}", client_id)
                    _set_values(claims, {**config, "claim.name": name}, roles, roles=True)
        case "oidc-audience-resolve-mapper":
            # The clients whose roles the token carries, except the requesting client.
            for client_id in claims.get("resource_access", {}):
                if client_id != context.client.client_id:
                    context.add_audience(client_id)
        case "oidc-allowed-origins-mapper":
            if context.client.web_origins:
                claims["allowed-origins"] = list(context.client.web_origins)
        case "oidc-acr-mapper":
            # AcrProtocolMapper: no level of authentication recorded: "1" for a login that
            # authenticated, "0" for one the SSO cookie did.
            claims["acr"] = "0" if context.notes.get(SSO_AUTH_NOTE) == "true" else "1"


def _set_values(
    claims: dict[str, Any], config: Mapping[str, str], values: Iterable[str], *, roles: bool = False
) -> None:
    values = list(values)
    if not values:
        return  # Keycloak leaves the claim out rather than writing null
    if config.get("multivalued") == "true":
        if roles:
            values = sorted(set(values))
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
