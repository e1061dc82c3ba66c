"""The ASGI application: the one place that wires settings, database, auth and schema."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from cross_web import HTTPException as StrawberryHTTPException
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL

from auth.api_tokens import TOKEN_LENGTH, TOKEN_PREFIX
from auth.authenticate import authenticate_api_token
from auth.principal import Principal
from db.models import ApiToken, utcnow
from db.request_context import request_id
from db.session import LockedSession, make_sessionmaker, tenant_session
from db.unit_of_work import Actor, act_as
from portal.http_limits import LimitRequests, RequestLimits
from portal.jobs import run_forever
from portal.logs import AccessLog
from portal.settings import Settings
from schema import build_schema
from schema.context import Context
from schema.loaders import Loaders

log = logging.getLogger("portal.app")

_BEARER = re.compile(r"^Bearer\s+(\S+)\s*$", re.IGNORECASE)
_TOKEN_LIKE = re.compile(rf"{TOKEN_PREFIX}[0-9A-Za-z]{{{TOKEN_LENGTH - len(TOKEN_PREFIX)}}}")
LAST_USED_INTERVAL = 60.0
"""Seconds between two last-used writes of one token, so busy tokens cost no writes."""


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status, headers=headers)


def _unauthenticated(message: str) -> Response:
    return _error(401, "UNAUTHENTICATED", message, {"WWW-Authenticate": 'Bearer realm="portal"'})


@dataclass
class LastUsed:
    """Records when tokens were used, after the response and at most once a minute each."""

    sessions: async_sessionmaker[LockedSession]
    _written: dict[uuid.UUID, float] = field(default_factory=dict)

    def due(self, token_id: uuid.UUID) -> bool:
        now = time.monotonic()
        if now - self._written.get(token_id, -LAST_USED_INTERVAL) < LAST_USED_INTERVAL:
            return False
        self._written[token_id] = now
        return True

    async def record(self, principal: Principal) -> None:
        try:
            async with tenant_session(self.sessions, principal.organisation_id) as session:
                # a bookkeeping write, not a change anyone made: not an audited event
                await session.execute(
                    update(ApiToken)
                    .where(ApiToken.id == principal.credential_id)
                    .values(last_used_at=utcnow())
                )
                await session.commit()
        except Exception:  # never let bookkeeping fail a request
            log.exception("could not record token use")


class GraphQLEndpoint(GraphQL[Context, None]):
    """strawberry's ASGI view behind bearer authentication and a per-operation transaction."""

    def __init__(self, settings: Settings, sessions: async_sessionmaker[LockedSession]) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.is_dev else None,
            allow_queries_via_get=True,
        )
        self.settings = settings
        self.sessions = sessions
        self.last_used = LastUsed(sessions)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            # live feeds arrive with the subscriptions work; refuse rather than half-serve
            await send({"type": "websocket.close", "code": 4403})
            return
        request = Request(scope, receive)
        try:
            response = await self.handle(request)
        except Exception:
            # e.g. the database went away mid-request: a coded error, never a traceback
            log.exception("request failed outside GraphQL execution")
            response = _error(500, "INTERNAL", "Internal server error.")
        await response(scope, receive, send)

    def _wants_ide(self, request: Request) -> bool:
        return (
            self.graphql_ide is not None
            and request.method == "GET"
            and "text/html" in request.headers.get("accept", "")
            and "query" not in request.query_params
        )

    async def handle(self, request: Request) -> Response:
        if self._wants_ide(request):
            return await self.render_graphql_ide(request)
        if any(
            key.lower() == "access_token" or _TOKEN_LIKE.search(value)
            for key, value in request.query_params.multi_items()
        ):
            return _error(
                400,
                "BAD_USER_INPUT",
                "credentials in the URL are refused (they leak into logs); "
                "send them in the Authorization header",
            )
        header = request.headers.get("authorization")
        if header is None:
            return _unauthenticated("authentication required: Authorization: Bearer <token>")
        match = _BEARER.match(header)
        if match is None:
            return _unauthenticated("the Authorization header must be 'Bearer <token>'")

        async with tenant_session(self.sessions, None) as session:
            principal = await authenticate_api_token(
                session,
                match.group(1),
                secret=self.settings.token_secret.get_secret_value(),
                now=utcnow(),
            )
            if principal is None:
                return _unauthenticated("the token is invalid, expired or revoked")
            act_as(session, Actor.of(principal))
            context = Context(
                request=request,
                session=session,
                principal=principal,
                settings=self.settings,
                loaders=Loaders(session, principal),
            )
            try:
                response = await self.run(request, context=context)
            except StrawberryHTTPException as error:
                code = "BAD_USER_INPUT" if error.status_code < 500 else "INTERNAL"
                return _error(error.status_code, code, error.reason)
            try:
                if context.failed:
                    await session.rollback()
                else:
                    await session.commit()
            except Exception:
                log.exception("could not commit the operation")
                return _error(500, "INTERNAL", "Internal server error.")
        if principal.credential_id is not None and self.last_used.due(principal.credential_id):
            response.background = BackgroundTask(self.last_used.record, principal)
        return response

    async def get_context(self, request: Any, response: Any) -> Context:  # pragma: no cover
        raise RuntimeError("the context is built by handle(), per request")


class RequestIdMiddleware:
    """Takes the caller's X-Request-ID (if sane) or makes one; echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = given if re.fullmatch(r"[A-Za-z0-9._-]{1,64}", given) else uuid.uuid4().hex
        token = request_id.set(rid)

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


def create_app(settings: Settings, engine: AsyncEngine) -> Starlette:
    """The portal's ASGI app over ``engine`` (whose lifetime the caller owns)."""
    sessions = make_sessionmaker(engine)
    graphql = GraphQLEndpoint(settings, sessions)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        try:
            async with asyncio.timeout(2):
                async with engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        except Exception as error:
            log.warning("database not reachable: %s", error)
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        jobs = (
            asyncio.create_task(run_forever(sessions, settings.jobs_interval))
            if settings.jobs_interval > 0
            else None
        )
        yield
        if jobs is not None:
            jobs.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await jobs
        await engine.dispose()

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(
        LimitRequests,
        limits=RequestLimits(
            body_bytes=settings.max_body_bytes,
            body_seconds=settings.body_read_timeout,
            url_bytes=settings.max_url_bytes,
            header_bytes=settings.max_header_bytes,
        ),
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "Accept", "X-Request-ID"],
        expose_headers=["X-Request-ID"],
        # bearer tokens, never cookies: a browser must not send credentials by itself
        allow_credentials=False,
        max_age=600,
    )
    app.add_middleware(AccessLog)
    app.add_middleware(RequestIdMiddleware)  # outermost: every line and refusal has an id
    return app


__all__ = ["create_app"]
