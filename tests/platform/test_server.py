"""The real thing: `portal demo` and `portal serve` on the embedded PostgreSQL, over HTTP."""

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
from pathlib import Path

import httpx
import pytest

PORTAL = [sys.executable, "-m", "portal"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    # a short path: PostgreSQL's socket path is limited to about 100 bytes
    path = Path(tempfile.mkdtemp(prefix="portal-serve-", dir="/tmp"))
    yield path
    pid_file = path / "postgres" / "postmaster.pid"
    if pid_file.exists():
        os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)
        for _ in range(50):
            if not pid_file.exists():
                break
            time.sleep(0.1)
    shutil.rmtree(path, ignore_errors=True)


def test_serve_with_embedded_postgres_answers_over_http(data_dir: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")} | {
        "PORTAL_DATA_DIR": str(data_dir),
        "PORTAL_LOG_LEVEL": "INFO",
    }
    demo = subprocess.run(
        [*PORTAL, "demo", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr
    tokens = json.loads(demo.stdout)
    assert {"organisation", "token"} == set(tokens[0])
    assert len(tokens) >= 6

    port = _free_port()
    log = data_dir / "serve.log"
    with (
        log.open("w") as output,
        subprocess.Popen(
            [*PORTAL, "serve", "--port", str(port)], env=env, stdout=output, stderr=output
        ) as server,
    ):
        try:
            _query_running_server(server, f"http://127.0.0.1:{port}", tokens, log)
        finally:
            server.terminate()
            server.wait(timeout=20)
    written = log.read_text()
    assert "POST /graphql 200" in written  # the access log is on
    assert "GET /graphql 400" in written  # and saw the credential sent in the URL
    for sent in tokens:
        assert sent["token"] not in written


def _query_running_server(
    server: subprocess.Popen[bytes], base: str, tokens: list[dict[str, str]], log: Path
) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert server.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "server did not become ready"
        time.sleep(0.2)

    assert httpx.post(f"{base}/graphql", json={"query": "{ viewer { scopes } }"}).status_code == 401
    helix = next(t["token"] for t in tokens if t["organisation"] == "helix-pharma")
    answer = httpx.post(
        f"{base}/graphql",
        json={
            "query": "{ viewer { organisation { slug } } alliances { edges { node { name } } } }"
        },
        headers={"Authorization": f"Bearer {helix}"},
    ).json()
    assert answer["data"]["viewer"]["organisation"]["slug"] == "helix-pharma"
    assert len(answer["data"]["alliances"]["edges"]) == 2
    # a credential in the URL is refused, and must not reach the log either
    refused = httpx.get(f"{base}/graphql", params={"query": "{ __typename }", "t": helix})
    assert refused.status_code == 400
