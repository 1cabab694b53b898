"""Where a webhook URL really points: resolve its host once, refuse internal addresses, and
connect to the address that was checked.

Checked when a subscription is registered and again before every delivery, since a DNS
name can be re-pointed at an internal address after registration. The delivery connects to
the checked address itself (the Host header and TLS server name stay the URL's): a second
look-up by the HTTP client would give DNS a moment to answer differently (rebinding).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from homeward.notifications.domain.webhooks import UnsafeTarget, check_addresses, check_url_shape

Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=5
        )
    except (OSError, TimeoutError, UnicodeError):
        raise UnsafeTarget("webhook host does not resolve") from None
    return sorted({str(info[4][0]) for info in infos})


@dataclass(frozen=True, kw_only=True)
class WebhookTarget:
    """A checked URL and the address to connect to for it."""

    url: str
    host: str
    port: int
    address: ipaddress.IPv4Address | ipaddress.IPv6Address

    @property
    def connect_url(self) -> str:
        """The URL with the checked address in place of the host name."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return urlunsplit(parts._replace(netloc=f"{literal}:{self.port}"))

    @property
    def host_header(self) -> str:
        default = 443 if self.url.startswith("https:") else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"

    @property
    def request_extensions(self) -> dict[str, Any]:
        """TLS is verified against the URL's host name, not the address (httpcore)."""
        return {"sni_hostname": self.host}


@dataclass(frozen=True, kw_only=True)
class UrlPolicy:
    require_https: bool
    allow_loopback: bool
    resolve: Resolver = field(default=system_resolver)

    async def target(self, url: str) -> WebhookTarget:
        """The checked target of `url`; UnsafeTarget if it is malformed or internal."""
        shape = check_url_shape(url, require_https=self.require_https)
        try:
            addresses = [str(ipaddress.ip_address(shape.host))]
        except ValueError:
            addresses = await self.resolve(shape.host, shape.port)
        checked = check_addresses(addresses, allow_loopback=self.allow_loopback)
        return WebhookTarget(url=url, host=shape.host, port=shape.port, address=checked[0])
