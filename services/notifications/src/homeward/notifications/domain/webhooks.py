"""Standard Webhooks (standardwebhooks.com): secrets, signatures, retry timing, safe targets.

A signature is `v1,` + base64(HMAC-SHA256(secret, f"{id}.{timestamp}.{body}")), where the
secret is the base64 part of `whsec_...`. Receivers verify it with any Standard Webhooks
library; the timestamp lets them refuse replays.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import random
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

SECRET_PREFIX = "whsec_"  # noqa: S105 (a format prefix, not a secret)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    return "msg_" + secrets.token_hex(12)


def sign(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def retry_delay(
    attempt: int, *, initial_s: float, max_s: float, rng: random.Random | None = None
) -> float:
    """Seconds before the next try after failed attempt `attempt` (1-based).

    Exponential, capped, with "equal jitter" (half fixed, half random) so that the many
    deliveries queued during a receiver's outage do not all come back at the same instant.
    """
    ceiling = min(initial_s * 2 ** min(attempt - 1, 40), max_s)
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


class UnsafeTarget(ValueError):
    """A webhook URL we will not call: wrong scheme or an internal address."""


METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)


def check_url_shape(url: str, *, require_https: bool) -> tuple[str, int]:
    """The host and port of an acceptable URL; refuses the wrong scheme or credentials."""
    parts = urlsplit(url)
    allowed = ("https",) if require_https else ("https", "http")
    if parts.scheme not in allowed:
        raise UnsafeTarget(f"webhook URLs must use {' or '.join(allowed)}")
    if not parts.hostname:
        raise UnsafeTarget("webhook URL has no host")
    if parts.username or parts.password:
        raise UnsafeTarget("webhook URLs may not carry credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeTarget("webhook URL has an invalid port") from None
    return parts.hostname, port


def check_addresses(addresses: Iterable[str], *, allow_loopback: bool) -> None:
    """Refuse if ANY resolved address is internal: an attacker controls which one we pick."""
    resolved = [ipaddress.ip_address(a.split("%")[0]) for a in addresses]
    if not resolved:
        raise UnsafeTarget("webhook host does not resolve")
    for address in resolved:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if address in METADATA_ADDRESSES or address.is_link_local:
            raise UnsafeTarget("webhook URL resolves to a link-local or metadata address")
        if address.is_loopback:
            if allow_loopback:
                continue
            raise UnsafeTarget("webhook URL resolves to a loopback address")
        if (
            address.is_private
            or address.is_reserved
            or address.is_multicast
            or address.is_unspecified
            or address in ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT
        ):
            raise UnsafeTarget("webhook URL resolves to a private or reserved address")
