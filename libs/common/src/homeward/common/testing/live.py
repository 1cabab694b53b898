"""A service and the development issuer served over loopback HTTP from a thread of their own,
for synchronous clients such as schemathesis: a blocking test cannot share an event loop with
the app it calls (nor with the issuer whose keys the app fetches while it answers).

    with live_service(create_app, settings_for) as live:
        response = httpx.get(f"{live.base_url}/v1/me", headers=live.auth("admin"))
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from homeward.common.events import InMemoryBroker
from homeward.common.settings import CommonSettings
from homeward.common.testing.idp import RunningIdentityProvider, running_identity_provider
from homeward.common.testing.servers import serving

STARTUP_TIMEOUT_S = 60.0


@dataclass
class LiveService:
    base_url: str
    app: FastAPI
    idp: RunningIdentityProvider
    loop: asyncio.AbstractEventLoop
    _tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> str:
        """A password-grant token of a demo user (fetched once: a run lasts minutes)."""
        if username not in self._tokens:
            fetch = self.idp.password_token(username)
            self._tokens[username] = asyncio.run_coroutine_threadsafe(fetch, self.loop).result()
        return self._tokens[username]

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}"}


@contextlib.contextmanager
def live_service(
    create_app: Callable[..., FastAPI],
    settings_for: Callable[[str], CommonSettings],
    **wiring: Any,
) -> Iterator[LiveService]:
    """Serve `create_app(settings_for(issuer), ...)` on the in-memory broker until the block
    ends; `wiring` goes to the wiring function as is."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="live-service", daemon=True)
    thread.start()
    ready: Future[LiveService] = Future()
    stop = asyncio.Event()

    async def serve() -> None:
        try:
            async with running_identity_provider() as idp:
                settings = settings_for(idp.issuer)
                app = create_app(
                    settings, broker=InMemoryBroker(), token_validator=idp.validator(), **wiring
                )
                async with serving(lambda _: app, lifespan="on") as base_url:
                    ready.set_result(LiveService(base_url=base_url, app=app, idp=idp, loop=loop))
                    await stop.wait()
        except BaseException as failure:
            if not ready.done():
                ready.set_exception(failure)
            raise

    served = asyncio.run_coroutine_threadsafe(serve(), loop)
    try:
        yield ready.result(timeout=STARTUP_TIMEOUT_S)
    finally:
        loop.call_soon_threadsafe(stop.set)
        with contextlib.suppress(Exception):
            served.result(timeout=STARTUP_TIMEOUT_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=STARTUP_TIMEOUT_S)
        loop.close()
