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
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna

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


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
CARRIER_GRADE_NAT = ipaddress.ip_network("100.64.0.0/10")
# Translators reach the IPv4 address in an IPv6 address's last 32 bits (RFC 6052, RFC 8215).
NAT64_PREFIXES = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d


@dataclass(frozen=True, kw_only=True)
class UrlShape:
    scheme: str
    host: str  # ASCII (IDNA 2008), lower case; an IP literal without brackets
    port: int


def check_url_shape(url: str, *, require_https: bool) -> UrlShape:
    """The parts of an acceptable URL; refuses the wrong scheme, credentials, a malformed
    host or port: anything a resolver or HTTP client could choke on later."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # an unclosed IPv6 literal, a port beyond 65535
        raise UnsafeTarget("webhook URL is malformed") from None
    allowed = ("https",) if require_https else ("https", "http")
    if parts.scheme not in allowed:
        raise UnsafeTarget(f"webhook URLs must use {' or '.join(allowed)}")
    if not parts.hostname:
        raise UnsafeTarget("webhook URL has no host")
    if parts.username or parts.password:
        raise UnsafeTarget("webhook URLs may not carry credentials")
    return UrlShape(
        scheme=parts.scheme,
        host=_ascii_host(parts.hostname),
        port=port or (443 if parts.scheme == "https" else 80),
    )


def _ascii_host(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        # IDNA 2008 without mapping: invisible or look-alike characters are refused, not
        # silently dropped into another name.
        return idna.encode(host, uts46=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise UnsafeTarget("webhook URL has an invalid host name") from None


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses that traffic to `address` reaches through a mapping, a tunnel or a
    translator (IPv4-mapped and -compatible, 6to4, Teredo server and client, NAT64)."""
    found = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if any(address in prefix for prefix in (*NAT64_PREFIXES, IPV4_COMPATIBLE)):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [each for each in found if each is not None]


def refusal(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """The one address policy of webhooks: why one may not connect to `address`, or None."""
    if isinstance(address, ipaddress.IPv6Address):
        for inner in embedded_ipv4(address):
            if reason := refusal(inner, allow_loopback=allow_loopback):
                return reason
        if address.ipv4_mapped or any(address in prefix for prefix in NAT64_PREFIXES):
            return None  # a translation: the IPv4 address it reaches was judged above
    if address in METADATA_ADDRESSES or address.is_link_local:
        return "webhook URL resolves to a link-local or metadata address"
    if address.is_loopback:
        return None if allow_loopback else "webhook URL resolves to a loopback address"
    if (
        address.is_private
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or address in CARRIER_GRADE_NAT
    ):
        return "webhook URL resolves to a private or reserved address"
    return None


def check_addresses(addresses: Iterable[str], *, allow_loopback: bool) -> list[IPAddress]:
    """The addresses, if NONE is internal (an attacker controls which one a client picks)."""
    resolved = [ipaddress.ip_address(a.split("%")[0]) for a in addresses]
    if not resolved:
        raise UnsafeTarget("webhook host does not resolve")
    for address in resolved:
        if reason := refusal(address, allow_loopback=allow_loopback):
            raise UnsafeTarget(reason)
    return resolved
