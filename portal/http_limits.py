"""HTTP request limits, applied before anything reads, parses or authenticates a request.

The whole body is read here, against a size cap and a deadline, before the request reaches
the GraphQL endpoint: a slow or oversized upload costs neither a database connection nor
any parsing. The endpoint then reads the body from memory.

Refusals are GraphQL-shaped (``{"errors": [{"message", "extensions": {"code"}}]}``) with
the HTTP status that names the problem: 408, 413, 414 or 431.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.graphql_http import error_document
from portal.kernel.errors import ErrorCode


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """The most a request may send (``PORTAL_MAX_*_BYTES``, ``PORTAL_BODY_READ_TIMEOUT``)."""

    body_bytes: int = 256 * 1024
    body_seconds: float = 10.0
    url_bytes: int = 16 * 1024
    header_bytes: int = 16 * 1024


async def refuse(send: Send, status: int, code: ErrorCode, message: str) -> None:
    """Answer with a GraphQL-shaped error and ``status``, closing the connection (what the
    client still sends is not read)."""
    body = json.dumps(error_document(code.value, message))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})


class LimitRequests:
    """ASGI middleware enforcing :class:`RequestLimits` on HTTP requests."""

    def __init__(self, app: ASGIApp, limits: RequestLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limits = self.limits
        url = len(scope.get("raw_path") or scope["path"].encode()) + len(scope["query_string"])
        if url > limits.url_bytes:
            await refuse(
                send, 414, ErrorCode.REQUEST_TOO_LARGE, f"the URL exceeds {limits.url_bytes} bytes"
            )
            return
        headers = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
        if headers > limits.header_bytes:
            await refuse(
                send,
                431,
                ErrorCode.REQUEST_TOO_LARGE,
                f"the headers exceed {limits.header_bytes} bytes",
            )
            return
        declared = _content_length(scope)
        if declared is not None and declared > limits.body_bytes:
            await self._too_large(send)
            return
        try:
            async with asyncio.timeout(limits.body_seconds):
                body = await self._read_body(receive)
        except TimeoutError:
            await refuse(
                send,
                408,
                ErrorCode.REQUEST_TIMEOUT,
                f"the request body did not arrive within {limits.body_seconds:g} seconds",
            )
            return
        if body is None:
            await self._too_large(send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it exceeds the cap."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limits.body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _too_large(self, send: Send) -> None:
        await refuse(
            send,
            413,
            ErrorCode.REQUEST_TOO_LARGE,
            f"the request body exceeds {self.limits.body_bytes} bytes",
        )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands out the body already read, then waits for the disconnect."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
