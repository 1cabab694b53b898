"""Serving an ASGI app for real on loopback inside the test's own event loop: for what must
cross a socket (the issuer's discovery and JWKS, an SSE stream, a webhook receiver).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import uvicorn

STARTUP_TIMEOUT_S = 10.0


class _EmbeddedServer(uvicorn.Server):
    # Ctrl-C belongs to the test runner, not to a server living inside its event loop.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serving(
    app_for: Callable[[str], Any],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    lifespan: str = "off",
) -> AsyncIterator[str]:
    """Serve `app_for(base_url)` on `host:port` (0: any free port); yields the base URL.

    The port is bound before the app exists, so an app may carry its own URL (an issuer's
    does) and no other process can take the port between choosing and serving it.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    base_url = f"http://{host}:{listener.getsockname()[1]}"
    config = uvicorn.Config(app_for(base_url), lifespan=lifespan, log_level="warning")
    server = _EmbeddedServer(config)
    running = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not server.started:
            if running.done():
                running.result()  # raises what stopped it
                raise RuntimeError(f"the server at {base_url} stopped during start-up")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the server at {base_url} did not start")
            await asyncio.sleep(0.01)
        yield base_url
    finally:
        server.should_exit = True
        await running
        listener.close()
