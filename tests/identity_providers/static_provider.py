"""A tiny real HTTP server on a loopback port that answers whatever a test sets: for the
ways a provider can misbehave that a real OpenID provider will not (an oversized or
malformed discovery document, a redirect, a slow answer, a broken key set)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from joserfc.jwk import ECKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.platform.serving import free_port


@dataclass
class Answer:
    """What the server answers at one path."""

    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def json(cls, document: object, **kwargs: Any) -> Answer:
        headers = {"content-type": "application/json"}
        return cls(json.dumps(document).encode(), headers=headers, **kwargs)


def public_key(crv: str = "P-256", **parameters: str) -> dict[str, Any]:
    """A fresh EC public key as a JWK."""
    key = ECKey.generate_key(crv, private=False)
    return {**key.as_dict(private=False), **parameters}


@dataclass
class StaticProvider:
    """Answers ``answers[path]``, 404 elsewhere; ``issuer`` is its base URL."""

    port: int = field(default_factory=free_port)
    answers: dict[str, Answer] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def discovery(self, **changes: Any) -> dict[str, Any]:
        """A discovery document as a well-behaved provider at this address would write it;
        ``changes`` replace members (None removes one)."""
        document: dict[str, Any] = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/auth",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["ES256"],
        }
        document.update(changes)
        return {key: value for key, value in document.items() if value is not None}

    def serve(
        self, document: dict[str, Any] | None = None, keys: list[dict[str, Any]] | None = None
    ) -> None:
        """Answer a discovery document and a key set (by default well-formed ones)."""
        self.answers["/.well-known/openid-configuration"] = Answer.json(
            document if document is not None else self.discovery()
        )
        self.answers["/jwks"] = Answer.json(
            {"keys": keys if keys is not None else [public_key(alg="ES256", use="sig")]}
        )

    async def _answer(self, request: Request) -> Response:
        answer = self.answers.get(request.url.path)
        if answer is None:
            return Response(status_code=404)
        if answer.delay:
            await asyncio.sleep(answer.delay)
        return Response(answer.body, status_code=answer.status, headers=answer.headers)

    @contextmanager
    def running(self) -> Iterator[StaticProvider]:
        app = Starlette(routes=[Route("/{path:path}", self._answer)])
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the static provider did not start")
            time.sleep(0.01)
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(timeout=10)
