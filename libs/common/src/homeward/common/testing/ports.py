"""Free loopback ports for test servers, chosen below the kernel's ephemeral range.

A port the kernel hands out for `bind(("", 0))` lies in the ephemeral range, where every
outgoing connection of every process on the machine also takes its local port: between the
probe and the server's own bind, a client elsewhere can take it ("address already in use").
Ports below that range are only ever taken by explicit binds, so a probe that finds one free
stays right unless another test server picks the same one at random.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

_FALLBACK_EPHEMERAL_START = 32768
_LOWEST = 10000


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return _FALLBACK_EPHEMERAL_START


def _is_free(port: int, host: str) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port_block(size: int = 1, host: str = "127.0.0.1") -> int:
    """A first port whose `size - 1` successors are free too, all below the ephemeral range."""
    highest = _ephemeral_start() - size
    for _ in range(200):
        first = random.randrange(_LOWEST, highest)
        if all(_is_free(port, host) for port in range(first, first + size)):
            return first
    raise RuntimeError(f"no block of {size} free ports below {highest + size}")


def free_port(host: str = "127.0.0.1") -> int:
    return free_port_block(1, host)
