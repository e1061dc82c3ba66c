"""The real thing, for the tests that need it: `portal demo` then `portal serve` on an
embedded PostgreSQL in a fresh data directory, over HTTP on a free port."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

PORTAL = [sys.executable, "-m", "portal"]


@contextmanager
def fresh_data_dir(prefix: str) -> Iterator[Path]:
    """An empty data directory, its embedded PostgreSQL stopped and removed afterwards."""
    # a short path: PostgreSQL's socket path is limited to about 100 bytes
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    try:
        yield path
    finally:
        pid_file = path / "postgres" / "postmaster.pid"
        if pid_file.exists():
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)
            for _ in range(50):
                if not pid_file.exists():
                    break
                time.sleep(0.1)
        shutil.rmtree(path, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Served:
    """A running server: where it listens, the demo's tokens, and its log file."""

    base: str
    tokens: list[dict[str, str]]
    log: Path

    def token(self, organisation: str) -> str:
        return next(t["token"] for t in self.tokens if t["organisation"] == organisation)


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def serving(data_dir: Path) -> Iterator[Served]:
    """`portal demo --json`, then `portal serve` until the block ends (INFO logs)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")} | {
        "PORTAL_DATA_DIR": str(data_dir),
        "PORTAL_LOG_LEVEL": "INFO",
    }
    demo = subprocess.run(
        [*PORTAL, "demo", "--json"], env=env, capture_output=True, text=True, timeout=180
    )
    assert demo.returncode == 0, demo.stderr
    tokens: list[dict[str, str]] = json.loads(demo.stdout)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = data_dir / "serve.log"
    with (
        log.open("w") as output,
        subprocess.Popen(
            [*PORTAL, "serve", "--port", str(port)], env=env, stdout=output, stderr=output
        ) as server,
    ):
        try:
            deadline = time.monotonic() + 60
            while not _ready(base):
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "server did not become ready"
                time.sleep(0.2)
            yield Served(base, tokens, log)
        finally:
            server.terminate()
            server.wait(timeout=20)
