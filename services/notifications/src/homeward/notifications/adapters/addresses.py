"""Where a webhook URL really points: resolve its host and refuse internal addresses.

Checked when a subscription is registered and again before every delivery, since a DNS
name can be re-pointed at an internal address after registration.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from homeward.notifications.domain.webhooks import UnsafeTarget, check_addresses, check_url_shape


async def check_webhook_url(url: str, *, require_https: bool, allow_loopback: bool) -> None:
    host, port = check_url_shape(url, require_https=require_https)
    try:
        addresses = [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        addresses = await _resolve(host, port)
    check_addresses(addresses, allow_loopback=allow_loopback)


async def _resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=5
        )
    except (OSError, TimeoutError):
        raise UnsafeTarget("webhook host does not resolve") from None
    return sorted({str(info[4][0]) for info in infos})
