"""The command line every service shares: `python -m homeward.<service> serve|migrate`.

`migrate` is the admin command production runs before a rollout; `serve` starts the API with
its relay and consumers (and, in development, migrates first), and Prometheus metrics on a
port of their own (`--metrics-port`, `HOMEWARD_METRICS_PORT`, else the API port + 1000).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from homeward.common.metrics import metrics_app
from homeward.common.migrations import upgrade
from homeward.common.observability import configure_logging
from homeward.common.settings import CommonSettings


def run_service_cli(
    *,
    settings_class: type[CommonSettings],
    create_app: Callable[[CommonSettings], FastAPI],
    migrations_package: str,
    default_port: int,
    argv: list[str] | None = None,
) -> None:
    name = settings_class.service_name
    parser = argparse.ArgumentParser(prog=f"python -m homeward.{name}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help=f"run the {name} API, relay and consumers")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=default_port)
    serve.add_argument("--metrics-port", type=int, default=None)
    migrate = commands.add_parser("migrate", help="bring the database to a revision")
    migrate.add_argument("revision", nargs="?", default="head")
    args = parser.parse_args(argv)

    settings = settings_class()
    configure_logging(service=name, level=settings.log_level)
    if args.command == "migrate":
        asyncio.run(upgrade(settings.database_url, migrations_package, args.revision))
        return
    metrics_port = args.metrics_port or settings.metrics_port or args.port + 1000
    asyncio.run(_serve(create_app(settings), host=args.host, ports=(args.port, metrics_port)))


class _MetricsServer(uvicorn.Server):
    # The API server owns the signals; this one stops when the API server has stopped.
    def capture_signals(self) -> contextlib.nullcontext[None]:  # type: ignore[override]
        return contextlib.nullcontext()


async def _serve(app: FastAPI, *, host: str, ports: tuple[int, int]) -> None:
    api_port, metrics_port = ports
    options = {"host": host, "log_config": None, "access_log": False, "server_header": False}
    api = uvicorn.Server(uvicorn.Config(app, port=api_port, **options))  # type: ignore[arg-type]
    metrics = _MetricsServer(
        uvicorn.Config(metrics_app(), port=metrics_port, lifespan="off", **options)  # type: ignore[arg-type]
    )
    metrics_task = asyncio.create_task(metrics.serve())
    try:
        await api.serve()
    finally:
        metrics.should_exit = True
        await metrics_task
