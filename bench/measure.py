"""What the runner reads about processes and PostgreSQL around each interval: CPU time
from ``/proc/<pid>/stat``, resident memory from ``/proc/<pid>/status``, statement counts
from ``pg_stat_statements``.

PostgreSQL's CPU is that of the postmaster's whole family: the live children (backends,
background workers) plus what the postmaster has reaped from children that exited. The
sum at two moments differs by exactly the CPU spent in between, even when a pool closes a
connection and opens another mid-interval.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

_TICKS = os.sysconf("SC_CLK_TCK")
_PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # the command name is parenthesised and may hold spaces: fields follow the last ')'
    return raw[raw.rindex(")") + 2 :].split()


def cpu_seconds(pid: int, *, reaped_children: bool = False) -> float:
    """User and system CPU of ``pid`` (with ``reaped_children``, also of its children that
    exited and were waited for); 0 when the process is gone."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # after the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICKS


def children(parent: int) -> list[int]:
    """The live child processes of ``parent``."""
    found = []
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and int(fields[1]) == parent:
                found.append(int(entry.name))
    return found


def family_cpu_seconds(parent: int) -> float:
    """CPU of ``parent``, its reaped children and its live children (see the module)."""
    return cpu_seconds(parent, reaped_children=True) + sum(
        cpu_seconds(child) for child in children(parent)
    )


def _status_kib(pid: int, key: str) -> int | None:
    try:
        for line in (_PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def rss_kib(pid: int) -> int | None:
    """Resident memory of ``pid`` now."""
    return _status_kib(pid, "VmRSS")


def peak_rss_kib(pid: int) -> int | None:
    """The most resident memory ``pid`` ever had (the kernel's high-water mark)."""
    return _status_kib(pid, "VmHWM")


def load_average() -> float:
    """The machine's one-minute load average."""
    return os.getloadavg()[0]


async def postmaster_of(connection: asyncpg.Connection[Any]) -> int | None:
    """The postmaster serving ``connection``, if it runs on this machine and we may read
    its processes; None otherwise (PostgreSQL's CPU is then not measured)."""
    backend = await connection.fetchval("SELECT pg_backend_pid()")
    fields = _stat_fields(int(backend))
    if fields is None:
        return None
    parent = int(fields[1])
    try:
        command = (_PROC / str(parent) / "cmdline").read_bytes().split(b"\0")[0]
    except (FileNotFoundError, PermissionError):
        return None
    return parent if command.endswith((b"postgres", b"postmaster")) else None


@dataclass(frozen=True, slots=True)
class Statements:
    """Statement counts of one database from ``pg_stat_statements`` (when installed)."""

    available: bool

    @classmethod
    async def probe(cls, connection: asyncpg.Connection[Any]) -> Statements:
        """Whether the extension is loaded and may be read and reset here."""
        try:
            await connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            await connection.execute("SELECT pg_stat_statements_reset()")
        except asyncpg.PostgresError:
            return cls(False)
        return cls(True)

    async def reset(self, connection: asyncpg.Connection[Any]) -> None:
        if self.available:
            await connection.execute("SELECT pg_stat_statements_reset()")

    async def calls(self, connection: asyncpg.Connection[Any]) -> int | None:
        """Statements run in this database since the last reset, but the runner's own (the
        ones reading or resetting these counts)."""
        if not self.available:
            return None
        found = await connection.fetchval(
            """SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
               WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                 AND query NOT LIKE '%pg_stat_statements%'"""
        )
        return int(found)

    async def top(self, connection: asyncpg.Connection, limit: int = 20) -> list[tuple[str, int]]:
        """The most frequent statements since the last reset (normalised text, calls)."""
        if not self.available:
            return []
        rows = await connection.fetch(
            """SELECT query, calls FROM pg_stat_statements
               WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                 AND query NOT LIKE '%pg_stat_statements%'
               ORDER BY calls DESC, query LIMIT $1""",
            limit,
        )
        return [(" ".join(row["query"].split()), int(row["calls"])) for row in rows]
