"""A private PostgreSQL cluster for one benchmark run: ``initdb`` in a temporary directory,
``pg_stat_statements`` preloaded (counting utility statements too: BEGIN, COMMIT and
``set_config`` selects are round trips like any other), listening on 127.0.0.1 only, thrown
away afterwards. Nobody else's sessions share its CPU or its statement counts.

Durability is off (``fsync``, ``synchronous_commit``, ``full_page_writes``): the cluster
is disposable, loading it is quicker, and the workloads only read.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

DEFAULT_BIN = Path("/usr/lib/postgresql/15/bin")
SUPERUSER = "bench"
"""The private cluster's superuser: the benchmark's operator."""
DATABASE = "bench"

SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.track": "top",
    "pg_stat_statements.track_utility": "on",
    "pg_stat_statements.max": "10000",
    "max_connections": "200",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "log_min_messages": "warning",
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _unprivileged_user() -> pwd.struct_passwd | None:
    """PostgreSQL refuses to run as root: under root, the cluster runs as ``postgres``."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError(
            "running as root, and there is no 'postgres' user to run PostgreSQL as"
        ) from None


class Cluster:
    """A started private cluster (a context manager): ``url`` is its operator's."""

    def __init__(self, bin_dir: Path = DEFAULT_BIN, settings: dict[str, str] | None = None):
        self.bin_dir = bin_dir
        self.settings = {**SETTINGS, **(settings or {})}
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="portal-bench-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.user = _unprivileged_user()

    @property
    def url(self) -> str:
        """The operator's URL of the benchmark database (created by ``start``)."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def pid(self) -> int:
        """The postmaster's process id."""
        if self.process is None:
            raise RuntimeError("the cluster is not running")
        return self.process.pid

    @property
    def _uid(self) -> int | None:
        return self.user.pw_uid if self.user else None

    @property
    def _gid(self) -> int | None:
        return self.user.pw_gid if self.user else None

    @property
    def _groups(self) -> list[int] | None:
        # dropping to another user drops root's supplementary groups too
        return [] if self.user else None

    def start(self, timeout: float = 60.0) -> Cluster:
        """initdb, start, and create the benchmark database."""
        data, log = self.directory / "data", self.directory / "postgres.log"
        if self.user is not None:
            os.chown(self.directory, self.user.pw_uid, self.user.pw_gid)
        subprocess.run(  # noqa: S603 - our own arguments, no shell
            [
                str(self.bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
            ],
            check=True,
            capture_output=True,
            user=self._uid,
            group=self._gid,
            extra_groups=self._groups,
        )
        arguments = [str(self.bin_dir / "postgres"), "-D", str(data), "-p", str(self.port)]
        arguments += ["-c", f"unix_socket_directories={self.directory}"]
        for name, value in self.settings.items():
            arguments += ["-c", f"{name}={value}"]
        with log.open("wb") as output:
            if self.user is not None:
                os.chown(log, self.user.pw_uid, self.user.pw_gid)
            self.process = subprocess.Popen(  # noqa: S603 - our own arguments, no shell
                arguments,
                stdout=output,
                stderr=subprocess.STDOUT,
                user=self._uid,
                group=self._gid,
                extra_groups=self._groups,
            )
        self._wait_ready(timeout)
        subprocess.run(  # noqa: S603 - our own arguments, no shell
            [
                str(self.bin_dir / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                SUPERUSER,
                "-d",
                "postgres",
                "-qc",
                f"CREATE DATABASE {DATABASE}",
            ],
            check=True,
            capture_output=True,
        )
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                log = (self.directory / "postgres.log").read_text(errors="replace")
                raise RuntimeError(f"PostgreSQL did not start:\n{log}")
            ready = subprocess.run(  # noqa: S603 - our own arguments, no shell
                [str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("PostgreSQL did not become ready in time")

    def stop(self) -> None:
        """Fast shutdown, then remove the cluster's directory."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
