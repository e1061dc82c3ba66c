"""The two servers under test, each one process: the portal as ``portal serve`` runs it
(uvicorn, one worker, ``portal.app.create_app``, logging in as ``portal_server``), and the
baseline (``python -m bench serve-baseline``). Their output goes to log files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

from bench.cluster import free_port
from bench.database import as_server

ROOT = Path(__file__).resolve().parent.parent

UNLIMITED_BUDGET = str(10**15)
"""A cost budget no run can spend: the portal still reads and charges it per request (as
in production), but never refuses (``--no-budget`` switches the bookkeeping off)."""


def portal_environment(
    operator_url: str, port: int, secret: str, *, budget: bool, extra: dict[str, str]
) -> dict[str, str]:
    """The portal's environment: production mode (its defaults, no GraphiQL), the
    scheduled jobs off (they would run during the measurements), and nothing of the
    caller's own ``PORTAL_*`` settings but those in ``extra``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    environment.update(
        {
            "PORTAL_ENVIRONMENT": "prod",
            "PORTAL_DATABASE_URL": as_server(operator_url),
            "PORTAL_OPERATOR_DATABASE_URL": operator_url,
            "PORTAL_TOKEN_SECRET": secret,
            "PORTAL_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "PORTAL_JOBS_INTERVAL": "0",
        }
    )
    if not budget:
        environment["PORTAL_COST_BUDGET_PER_CREDENTIAL"] = "0"
        environment["PORTAL_COST_BUDGET_PER_ORGANISATION"] = "0"
    else:
        environment["PORTAL_COST_BUDGET_PER_CREDENTIAL"] = UNLIMITED_BUDGET
        environment["PORTAL_COST_BUDGET_PER_ORGANISATION"] = UNLIMITED_BUDGET
    environment.update({f"PORTAL_{k.upper()}": v for k, v in extra.items()})
    return environment


@dataclass
class Server:
    """A server process we started, reachable on 127.0.0.1:``port``."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the {self.name} server exited:\n{self.log.read_text(errors='replace')}"
                )
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).is_success:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the {self.name} server did not answer in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _start(name: str, arguments: list[str], environment: dict[str, str], logs: Path) -> Server:
    port = int(arguments[arguments.index("--port") + 1])
    log = logs / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, *arguments],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Server(name, process, port, log)
    try:
        server.wait_healthy()
    except BaseException:
        server.stop()
        raise
    return server


def start_portal(
    operator_url: str,
    secret: str,
    logs: Path,
    *,
    budget: bool = True,
    settings: dict[str, str] | None = None,
) -> Server:
    """``portal serve`` on a free port, against ``operator_url``'s database."""
    port = free_port()
    environment = portal_environment(
        operator_url, port, secret, budget=budget, extra=settings or {}
    )
    arguments = ["-m", "portal", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return _start("portal", arguments, environment, logs)


def start_baseline(operator_url: str, secret: str, logs: Path, *, pool_size: int) -> Server:
    """The baseline server on a free port, against ``operator_url``'s database."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    arguments = ["-m", "bench", "serve-baseline", "--database-url", operator_url]
    arguments += ["--port", str(port), "--token-secret", secret, "--pool-size", str(pool_size)]
    return _start("baseline", arguments, environment, logs)
