"""`python -m homeward.common.idp --port 8400`: serve the realm export as an OIDC issuer."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from homeward.common.idp.app import create_idp_app
from homeward.common.idp.realm import DEFAULT_REALM_PATH, load_realm


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m homeward.common.idp",
        description="Development OIDC issuer (Keycloak-compatible paths). Never in production.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8400)
    parser.add_argument("--realm", default=str(DEFAULT_REALM_PATH), help="Keycloak realm export")
    parser.add_argument(
        "--public-url", help="base URL clients use to reach this issuer (default: http://host:port)"
    )
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    realm = load_realm(args.realm)
    public_url = args.public_url or f"http://{args.host}:{args.port}"
    app = create_idp_app(realm=realm, public_url=public_url)
    logging.getLogger("homeward.idp").info(
        "issuer %s/realms/%s: %d users, %d clients",
        public_url.rstrip("/"),
        realm.name,
        len(realm.users),
        len(realm.clients),
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
