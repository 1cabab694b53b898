"""The command line every service shares: `python -m homeward.<service> serve|migrate`.

`migrate` is the admin command production runs before a rollout; `serve` starts the API with
its relay and consumers (and, in development, migrates first).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

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
    migrate = commands.add_parser("migrate", help="bring the database to a revision")
    migrate.add_argument("revision", nargs="?", default="head")
    args = parser.parse_args(argv)

    settings = settings_class()
    configure_logging(service=name, level=settings.log_level)
    if args.command == "migrate":
        asyncio.run(upgrade(settings.database_url, migrations_package, args.revision))
        return
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_config=None,  # keep our JSON logging
        access_log=False,
        server_header=False,
    )
