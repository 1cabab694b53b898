"""Keycloak's redirect-URI rules (RedirectUtils.verifyRedirectUri), for redirect_uri and
post_logout_redirect_uri: a registered URI matches exactly, or, when it ends in `*`, as a
prefix of the part before the query (`/*` also matches the bare address); `*` alone matches
anything. A URI with a fragment, user info or dot segments never matches, so a wildcard
cannot be stretched to another host or path.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit


def redirect_allowed(uri: str | None, registered: Iterable[str]) -> bool:
    if not uri:
        return False
    parts = urlsplit(uri)
    if parts.fragment or "#" in uri or parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    path = parts.path.lower().replace("%2e", ".")
    if "@" in parts.netloc or any(segment in ("..", ".") for segment in path.split("/")):
        return False
    for allowed in registered:
        if allowed == "*":
            return True
        if allowed.endswith("*"):
            prefix, without_query = allowed[:-1], uri.split("?", 1)[0]
            if without_query.startswith(prefix) or without_query == prefix.removesuffix("/"):
                return True
        if uri == allowed:
            return True
    return False
