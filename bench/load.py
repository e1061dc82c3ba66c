"""A light closed-loop load generator: ``concurrency`` keep-alive HTTP/1.1 connections,
each sending the same prepared request again as soon as the previous answer is read.

A general HTTP client (httpx) costs more CPU per request than the baseline server does,
on a machine whose two cores also run the server and PostgreSQL; this one sends bytes
prepared once and reads the answer by its Content-Length, nothing more.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Target:
    """A server and the request to send it."""

    host: str
    port: int
    request: bytes

    @classmethod
    def post_json(cls, host: str, port: int, path: str, body: dict[str, Any], token: str) -> Target:
        payload = json.dumps(body, separators=(",", ":")).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Accept: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        return cls(host, port, head.encode() + payload)


@dataclass(slots=True)
class Outcome:
    """What one interval of load did."""

    latencies_ns: list[int] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    """What went wrong, counted by kind (``error_kind``): answers that were not 200 or
    carried GraphQL errors, broken connections and timeouts."""
    elapsed: float = 0.0
    last_body: bytes | None = None

    @property
    def requests(self) -> int:
        return len(self.latencies_ns)


def error_kind(status: int, body: bytes) -> str | None:
    """What was wrong with an answer, in a few words (``None``: a 200 without errors):
    the status and the first GraphQL error's code and message."""
    if status == 200 and b'"errors"' not in body:
        return None
    try:
        first = json.loads(body)["errors"][0]
        code = (first.get("extensions") or {}).get("code", "no code")
        detail = f"{code}: {str(first.get('message'))[:120]}"
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        detail = body[:120].decode(errors="replace")
    return f"HTTP {status} {detail}"


class BadResponse(Exception):
    """The server answered something this client does not read."""


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The status and body of the next HTTP/1.1 answer on ``reader``."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length: int | None = None
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if length is not None:
        return status, await reader.readexactly(length)
    if not chunked:
        raise BadResponse("an answer without Content-Length and not chunked")
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return status, b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def _worker(
    target: Target, deadline: float, outcome: Outcome, request_timeout: float
) -> None:
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    try:
        while time.monotonic() < deadline:
            if connection is None:
                connection = await asyncio.open_connection(target.host, target.port)
            reader, writer = connection
            started = time.perf_counter_ns()
            try:
                writer.write(target.request)
                status, body = await asyncio.wait_for(read_response(reader), request_timeout)
            except (OSError, asyncio.IncompleteReadError, TimeoutError, BadResponse) as error:
                outcome.errors[f"no answer: {type(error).__name__} {error}"[:160]] += 1
                writer.close()
                connection = None
                continue
            outcome.latencies_ns.append(time.perf_counter_ns() - started)
            kind = error_kind(status, body)
            if kind is not None:
                outcome.errors[kind] += 1
            outcome.last_body = body
    finally:
        if connection is not None:
            connection[1].close()


async def run(
    target: Target, *, concurrency: int, seconds: float, request_timeout: float
) -> Outcome:
    """Load ``target`` for ``seconds`` with ``concurrency`` connections; requests in flight
    at the deadline are awaited and counted, the interval lasting until the last one."""
    outcome = Outcome()
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(
        *(_worker(target, deadline, outcome, request_timeout) for _ in range(concurrency))
    )
    outcome.elapsed = time.monotonic() - started
    return outcome


def percentile(sorted_values: list[int], share: float) -> int | None:
    """The nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return None
    rank = max(1, round(share * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]
