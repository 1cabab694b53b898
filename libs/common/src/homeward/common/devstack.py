"""The embedded stack behind `make run`: one machine, no containers.

Starts on loopback the Tansu broker, the development identity provider, the four services
and the console, each in its own process with its own SQLite database under the data folder;
waits until every one is ready; prints what is where (the console first) and how to get a
token; stops every child cleanly on Ctrl-C. `KAFKA_BOOTSTRAP_SERVERS` and
`HOMEWARD_<SERVICE>_DATABASE_URL` point it at an existing broker or databases instead.

A Tansu broker that dies is started again with the topics created again, behind a gate on
the stack's Kafka port that holds clients back until the topics exist (`events/tansu.py`).
It kept everything in memory, so it comes back empty: the services find that out by
themselves and publish what their outboxes retain again (`events/loss.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from homeward.common.demo import seed_demo_data
from homeward.common.events import dead_letter_topic, registry
from homeward.common.events.retry import backoff_delay
from homeward.common.events.tansu import AUTO_CREATED_PARTITIONS, BrokerGate, TansuBroker
from homeward.common.processes import die_with_parent

SERVICES = ("intake", "referrals", "documents", "notifications", "console")
APIS = SERVICES[:4]
CONSOLE_CLIENT = "homeward-console"
REPO_ROOT = Path(__file__).resolve().parents[5]
DEFAULT_REALM = REPO_ROOT / "deploy" / "keycloak" / "homeward-realm.json"
REALM = "homeward"


@dataclass
class Child:
    name: str
    url: str
    process: asyncio.subprocess.Process
    log_path: Path


class EmbeddedStack:
    def __init__(
        self, *, host: str, base_port: int, kafka_port: int, data_dir: Path, realm: Path
    ) -> None:
        self.host = host
        self.base_port = base_port
        self.kafka_port = kafka_port
        self.data_dir = data_dir
        self.realm = realm
        self.children: list[Child] = []
        self.broker: TansuBroker | None = None
        self.gate: BrokerGate | None = None
        self.bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
        self.demo_case_code: str | None = None
        self._supervisor: asyncio.Task[None] | None = None
        # Topic partitions: with our own Tansu, the count it auto-creates topics with.
        self.partitions = os.environ.get("HOMEWARD_KAFKA_DEFAULT_PARTITIONS", "")

    @property
    def idp_url(self) -> str:
        return f"http://{self.host}:{self.base_port}"

    @property
    def issuer(self) -> str:
        return f"{self.idp_url}/realms/{REALM}"

    def service_url(self, name: str) -> str:
        return f"http://{self.host}:{self.base_port + 1 + SERVICES.index(name)}"

    def metrics_url(self, name: str) -> str:
        """Each service's Prometheus metrics, on a port of its own after the services'."""
        return f"http://{self.host}:{self.base_port + 1 + len(SERVICES) + SERVICES.index(name)}"

    async def start(self, *, ready_timeout_s: float = 90.0) -> None:
        (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        if not self.bootstrap:
            listener = _free_port(self.host)
            self.gate = BrokerGate(self.host, self.kafka_port, listener)
            await self.gate.start()
            self.broker = TansuBroker(listener, host=self.host, advertised_port=self.kafka_port)
            await self._start_broker(self.broker, self.gate)
            self.bootstrap = self.broker.bootstrap_servers
            self.partitions = str(AUTO_CREATED_PARTITIONS)
            self._supervisor = asyncio.create_task(self._supervise(self.broker, self.gate))
        idp_args = ["--host", self.host, "--port", str(self.base_port)]
        idp_args += ["--realm", str(self._realm_for_console()), "--public-url", self.idp_url]
        await self._spawn("identity-provider", "homeward.common.idp", idp_args, self.idp_url, {})
        await self._wait_ready(
            self.children[-1],
            "/realms/homeward/.well-known/openid-configuration",
            deadline=time.monotonic() + ready_timeout_s,
        )
        deadline = time.monotonic() + ready_timeout_s
        for name in SERVICES:
            url = self.service_url(name)
            port = url.rsplit(":", 1)[1]
            env = {
                "HOMEWARD_DATABASE_URL": os.environ.get(
                    f"HOMEWARD_{name.upper()}_DATABASE_URL",
                    f"sqlite+aiosqlite:///{self.data_dir / 'data' / f'{name}.db'}",
                ),
                "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
                **(
                    {"HOMEWARD_KAFKA_DEFAULT_PARTITIONS": self.partitions}
                    if self.partitions
                    else {}
                ),
                "HOMEWARD_OIDC_ISSUER": self.issuer,
                "HOMEWARD_PUBLIC_BASE_URL": url,
                # Notification links open the console's page of the object.
                "HOMEWARD_APP_BASE_URL": self.service_url("console"),
                **{f"HOMEWARD_{api.upper()}_URL": self.service_url(api) for api in APIS},
            }
            if name == "notifications":
                # So a webhook receiver on this machine can be tried (refused in production).
                env["HOMEWARD_WEBHOOK_ALLOW_LOOPBACK"] = os.environ.get(
                    "HOMEWARD_WEBHOOK_ALLOW_LOOPBACK", "true"
                )
            metrics_port = self.metrics_url(name).rsplit(":", 1)[1]
            args = ["serve", "--host", self.host, "--port", port, "--metrics-port", metrics_port]
            await self._spawn(name, f"homeward.{name}", args, url, env)
        services = self.children[1:]
        await asyncio.gather(*(self._wait_ready(c, "/readyz", deadline) for c in services))
        self.demo_case_code = await seed_demo_data(
            intake_url=self.service_url("intake"),
            token_url=f"{self.issuer}/protocol/openid-connect/token",
        )

    def _realm_for_console(self) -> Path:
        """The realm, with the console's redirect URIs at the port it runs on this time."""
        console = self.service_url("console")
        realm = json.loads(self.realm.read_text())
        for client in realm.get("clients", []):
            if client.get("clientId") == CONSOLE_CLIENT:
                client["redirectUris"] = [f"{console}/*"]
                client.setdefault("attributes", {})["post.logout.redirect.uris"] = f"{console}/*"
        path = self.data_dir / "realm.json"
        path.write_text(json.dumps(realm))
        return path

    async def _spawn(
        self, name: str, module: str, args: list[str], url: str, env: dict[str, str]
    ) -> None:
        log_path = self.data_dir / "logs" / f"{name}.log"
        log_file = log_path.open("ab")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *args,
            stdout=log_file,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, **env},
            start_new_session=True,  # Ctrl-C reaches us; we stop the children in order
            preexec_fn=die_with_parent,  # and if we are killed outright, they stop too
        )
        log_file.close()
        self.children.append(Child(name, url, process, log_path))

    async def _wait_ready(self, child: Child, path: str, deadline: float) -> None:
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline:
                if child.process.returncode is not None:
                    break
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(child.url + path)).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        tail = (await asyncio.to_thread(child.log_path.read_text, errors="replace"))[-3000:]
        raise RuntimeError(f"{child.name} did not become ready at {child.url}{path}:\n{tail}")

    @staticmethod
    async def _start_broker(broker: TansuBroker, gate: BrokerGate) -> None:
        """Tansu with the stack's topics, then the gate opened to clients."""
        await broker.start()
        await broker.create_topics(stack_topics(), AUTO_CREATED_PARTITIONS)
        gate.open()

    async def _supervise(self, broker: TansuBroker, gate: BrokerGate) -> None:
        """Start the broker again whenever it dies, until the stack stops (which cancels)."""
        while True:
            code = await broker.wait()
            gate.close()
            failures = 0
            while True:
                try:
                    await self._start_broker(broker, gate)
                    break
                except Exception as error:  # whatever it was, try again: the stack needs one
                    failures += 1
                    delay = backoff_delay(failures, initial_s=0.5, max_s=10)
                    print(f"broker: could not restart ({error}); again in {delay:.1f} s")
                    await broker.stop()
                    # Its private port may have been taken while it was down.
                    broker.port = gate.upstream_port = _free_port(self.host)
                    await asyncio.sleep(delay)
            print(
                f"broker: Tansu died (exit code {code}) and lost every event in memory; "
                f"restarted on {broker.bootstrap_servers} with its topics, the services "
                "publish what their outboxes retain again",
                flush=True,
            )

    async def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        for child in reversed(self.children):
            if child.process.returncode is None:
                child.process.terminate()
        for child in reversed(self.children):
            try:
                await asyncio.wait_for(child.process.wait(), timeout=10)
            except TimeoutError:
                child.process.kill()
                await child.process.wait()
        self.children.clear()
        if self.broker:
            await self.broker.stop()
        if self.gate:
            await self.gate.stop()

    def describe(self) -> str:
        console = self.service_url("console")
        lines = ["", f"Homeward is running. Open the console: {console}",
                 "  (sign in as coordinator.riverton, password demo)", "",
                 f"  broker              {self.bootstrap}"]  # fmt: skip
        lines.append(f"  identity provider   {self.issuer}")
        for name in APIS:
            url = self.service_url(name)
            lines.append(f"  {name:<19} {url}  (docs {url}/docs, {self.metrics_url(name)}/metrics)")
        token_url = f"{self.issuer}/protocol/openid-connect/token"
        lines += [
            "",
            "A token for a demo user (every demo password is 'demo'; see README for the users):",
            f"  TOKEN=$(curl -s {token_url} -d grant_type=password -d client_id=homeward-demo \\",
            "      -d username=coordinator.riverton -d password=demo | jq -r .access_token)",
            f'  curl -H "Authorization: Bearer $TOKEN" {self.service_url("intake")}/v1/me',
            "A token for a partner system (client credentials):",
            f"  curl -s {token_url} -u school-system:school-system-secret \\",
            "      -d grant_type=client_credentials",
            "",
            "Demo data: "
            + (
                f"the family {self.demo_case_code} (a mother and two children) in riverton."
                if self.demo_case_code
                else "kept from the last run (the data folder already has cases)."
            ),
            "Webhooks may go to loopback receivers over plain http (development only; see the"
            " README, 'Trying a webhook').",
            f"Logs: {self.data_dir / 'logs'}. Press Ctrl-C to stop.",
        ]
        return "\n".join(lines)


def stack_topics() -> list[str]:
    """Every topic of the stack: the shared contracts' and each service's dead letters."""
    import homeward.common.contracts  # noqa: F401  (registers every event contract)

    return sorted({*registry.topics(), *(dead_letter_topic(name) for name in SERVICES)})


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


async def run(args: argparse.Namespace) -> None:
    stack = EmbeddedStack(
        host=args.host,
        base_port=args.base_port,
        kafka_port=args.kafka_port,
        data_dir=args.data_dir,
        realm=Path(args.realm),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    started = time.monotonic()
    try:
        await stack.start()
        print(stack.describe(), flush=True)
        print(f"Ready in {time.monotonic() - started:.1f} s.", flush=True)
        await stop.wait()
    finally:
        print("Stopping...", flush=True)
        await stack.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m homeward.common.devstack")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--base-port", type=int, default=8400, help="IdP; services follow")
    parser.add_argument("--kafka-port", type=int, default=9092)
    parser.add_argument("--data-dir", default=str(REPO_ROOT / "var"))
    parser.add_argument("--realm", default=str(DEFAULT_REALM))
    args = parser.parse_args(argv)
    args.data_dir = Path(args.data_dir).resolve()
    try:
        asyncio.run(run(args))
    except RuntimeError as exc:
        print(f"The stack did not start: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
