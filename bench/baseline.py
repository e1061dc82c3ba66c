"""The baseline server: starlette and asyncpg answering ``POST /graphql`` for the
benchmark's workloads with their hand-written SQL (``bench.workloads``).

A request costs two statements: the bearer token's lookup by its keyed hash (what the
portal's authentication reads, in one statement), then the workload's statement, whose
text is the response body. The workload is the request's ``operationName``; its document
is not parsed. It connects as the operator (a superuser or a role that bypasses row-level
security): each statement applies the principal's visibility itself.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import uvicorn
from asyncpg.pool import PoolConnectionProxy
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from auth.api_tokens import hash_token, is_well_formed
from auth.scopes import ALL_SCOPES, ROLE_SCOPES, Scope
from bench.database import libpq_url
from bench.workloads import BY_OPERATION, BadVariables
from db.enums import UserRole, UserStatus

_BEARER = re.compile(r"^Bearer\s+(\S+)\s*$", re.IGNORECASE)

CREDENTIAL_LOOKUP = """
SELECT t.organisation_id, t.scopes, t.trusted_documents_only, t.created_by_user_id,
       u.role AS creator_role, u.status AS creator_status
FROM public.api_tokens t LEFT JOIN public.users u ON u.id = t.created_by_user_id
WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now()"""
"""What ``auth.authenticate.authenticate_api_token`` reads through
``portal_api_token_by_hash``: the token, unrevoked and unexpired, and its creator."""


Database = asyncpg.Pool | asyncpg.Connection
"""Where the baseline reads: a pool, or one connection (in tests)."""
Connection = asyncpg.Connection | PoolConnectionProxy


@contextlib.asynccontextmanager
async def _connection(database: Database) -> AsyncIterator[Connection]:
    """One connection for a request's two statements: a pool's checkout, or the one."""
    if isinstance(database, asyncpg.Pool):
        async with database.acquire() as connection:
            yield connection
    else:
        yield database


async def _session_stays(connection: Connection) -> None:
    """No reset when a connection goes back to the pool: the baseline leaves nothing in a
    session (no SET, LISTEN, advisory lock or cursor), and asyncpg's default reset would
    add four statements to every request."""


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer: status and JSON body."""

    status: int
    body: bytes


def _error(status: int, code: str, message: str) -> Answer:
    document = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Answer(status, json.dumps(document).encode())


@dataclass(frozen=True, slots=True)
class Credential:
    """The authenticated token: its organisation and the scopes it may use."""

    organisation_id: Any
    scopes: frozenset[Scope]


class Baseline:
    """Answers the workloads for a bearer token, over ``database``."""

    def __init__(self, database: Database, secret: str) -> None:
        self.database = database
        self.secret = secret

    async def authenticate(
        self, connection: Connection, authorization: str | None
    ) -> Credential | None:
        """The token's credential, or None when it is malformed, unknown, revoked, expired,
        or made by a deactivated person: the portal's rules, its scopes narrowed to its
        creator's role as the portal narrows them."""
        match = _BEARER.match(authorization or "")
        if match is None or not is_well_formed(match.group(1)):
            return None
        row = await connection.fetchrow(CREDENTIAL_LOOKUP, hash_token(match.group(1), self.secret))
        if row is None or row["creator_status"] == UserStatus.DEACTIVATED.value:
            return None
        if row["trusted_documents_only"]:
            return None  # the portal runs only registered documents for it: none here
        scopes = frozenset(Scope(s) for s in row["scopes"] if s in Scope.__members__.values())
        if row["created_by_user_id"] is not None:
            scopes &= ROLE_SCOPES.get(UserRole(row["creator_role"]), frozenset())
        else:
            scopes &= ALL_SCOPES
        return Credential(row["organisation_id"], scopes)

    async def answer(self, body: bytes, authorization: str | None) -> Answer:
        """The response to one ``POST /graphql``."""
        try:
            request = json.loads(body)
        except ValueError:
            return _error(400, "BAD_USER_INPUT", "the body is not JSON")
        if not isinstance(request, dict):
            return _error(400, "BAD_USER_INPUT", "the body is not a JSON object")
        workload = BY_OPERATION.get(request.get("operationName") or "")
        if workload is None:
            return _error(400, "BAD_USER_INPUT", "the baseline answers the benchmark only")
        variables = request.get("variables") or {}
        try:
            arguments = workload.arguments(variables if isinstance(variables, dict) else {})
        except BadVariables as error:
            return _error(400, "BAD_USER_INPUT", str(error))
        async with _connection(self.database) as connection:
            credential = await self.authenticate(connection, authorization)
            if credential is None:
                return _error(401, "UNAUTHENTICATED", "the token is invalid, expired or revoked")
            if not workload.scopes <= credential.scopes:
                # the portal answers nulls or empty lists field by field: not modelled here
                return _error(403, "FORBIDDEN", "the baseline serves credentials with every scope")
            text: str = await connection.fetchval(
                workload.sql, credential.organisation_id, *arguments
            )
        return Answer(200, text.encode())


async def check_bypasses_rls(database: Database) -> None:
    """The baseline applies visibility in its SQL: its login must see every row."""
    async with _connection(database) as connection:
        bypasses = await connection.fetchval(
            "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
    if not bypasses:
        raise RuntimeError("the baseline's login must be a superuser or bypass row-level security")


def create_app(
    *,
    secret: str,
    database_url: str | None = None,
    database: Database | None = None,
    pool_size: int = 20,
) -> Starlette:
    """The baseline's ASGI app, over ``database`` or a pool on ``database_url``: at most
    ``pool_size`` connections, opened at start-up and kept, as the portal keeps the ones it
    opened (``PORTAL_DB_POOL_SIZE``)."""
    holder: dict[str, Baseline] = {}
    if database is not None:
        holder["baseline"] = Baseline(database, secret)

    async def graphql(request: Request) -> Response:
        answer = await holder["baseline"].answer(
            await request.body(), request.headers.get("authorization")
        )
        return Response(answer.body, status_code=answer.status, media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if database is not None:
            yield
            return
        if database_url is None:
            raise ValueError("the baseline needs a database or its URL")
        pool = await asyncpg.create_pool(
            libpq_url(database_url),
            min_size=pool_size,
            max_size=pool_size,
            reset=_session_stays,
        )
        try:
            await check_bypasses_rls(pool)
            holder["baseline"] = Baseline(pool, secret)
            yield
        finally:
            await pool.close()

    return Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"]), Route("/healthz", healthz)],
        lifespan=lifespan,
    )


def serve(database_url: str, *, host: str, port: int, secret: str, pool_size: int) -> None:
    """Run the baseline in this process, as ``portal serve`` runs the portal: one uvicorn
    worker, no access log."""
    app = create_app(secret=secret, database_url=database_url, pool_size=pool_size)
    uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
    ).run()
