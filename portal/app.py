"""The ASGI application: the one place that wires settings, database, auth and schema."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from cross_web import AsyncHTTPRequestAdapter, StarletteRequestAdapter
from cross_web import HTTPException as StrawberryHTTPException
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from starlette.applications import Starlette
from starlette.background import BackgroundTasks
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult

from auth.api_tokens import TOKEN_LENGTH, TOKEN_PREFIX, hash_token, is_well_formed
from auth.authenticate import API_TOKEN_START, authenticate_api_token, token_principal
from auth.principal import Principal
from db.enums import CredentialKind
from db.models import ApiToken, utcnow
from db.request_context import request_id
from db.session import (
    LockedSession,
    make_sessionmaker,
    request_session,
    signin_session,
    tenant_session,
)
from db.unit_of_work import Actor, act_as, use_audit_key
from portal import graphiql, persisted
from portal.budget import Allowances, Budgets
from portal.graphql_http import (
    CONTENT_TYPES,
    GRAPHQL_RESPONSE,
    JSON,
    METHODS,
    error_document,
    is_internal,
    is_json_body,
    is_request_error,
    negotiate,
    request_error_status,
    retry_after,
)
from portal.http_limits import LimitRequests, RequestLimits
from portal.jobs import run_forever
from portal.logs import AccessLog
from portal.settings import Settings
from portal.signin.bearer import BearerJwts, OwnKeys
from portal.signin.endpoints import SignIn
from portal.signin.keys import ensure_signing_key
from portal.signin.validation import InvalidToken
from schema import build_schema
from schema.context import Context
from schema.kernel.cost import CostReport
from schema.loaders import Loaders
from schema.planner import (
    RawJSON,
    Shortcut,
    Shortcuts,
    principal_part,
    request_key,
    request_part,
    run,
)

log = logging.getLogger("portal.app")

_BEARER = re.compile(r"^Bearer\s+(\S+)\s*$", re.IGNORECASE)
_TOKEN_LIKE = re.compile(rf"{TOKEN_PREFIX}[0-9A-Za-z]{{{TOKEN_LENGTH - len(TOKEN_PREFIX)}}}")
_DIRECT_START = API_TOKEN_START.format(hash="$1")
LAST_USED_INTERVAL = 60.0
"""Seconds between two last-used writes of one token, so busy tokens cost no writes."""


def _error(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    media_type: str = JSON,
) -> Response:
    return JSONResponse(
        error_document(code, message),
        status_code=status,
        headers=headers,
        media_type=CONTENT_TYPES[media_type],
    )


def _unauthenticated(message: str, media_type: str, *, invalid_token: bool = False) -> Response:
    """401 with RFC 6750's challenge: a presented token that is refused says why
    (``error="invalid_token"``); a request with none gets the bare challenge (§3.1)."""
    challenge = 'Bearer realm="portal"'
    if invalid_token:
        description = message.replace("\\", "").replace('"', "'")
        challenge += f', error="invalid_token", error_description="{description}"'
    return _error(401, "UNAUTHENTICATED", message, {"WWW-Authenticate": challenge}, media_type)


# --- GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/) ----------------


class _RequestAdapter(StarletteRequestAdapter):
    """strawberry's view of a request, with the body's media type in its normal form:
    handle() has checked the body is JSON, and strawberry would not read ``Application/JSON``."""

    @property
    def content_type(self) -> str | None:
        return JSON if self.method == "POST" else super().content_type


def _credentials_in_url(request: Request) -> bool:
    return any(
        key.lower() == "access_token" or _TOKEN_LIKE.search(value)
        for key, value in request.query_params.multi_items()
    )


def _refuse_transport(request: Request, media_type: str) -> Response | None:
    """The refusal of a request no credential could make acceptable (method, body type, a
    token in the URL), or None. Before authentication: they need no database."""
    if request.method not in METHODS:
        return _error(
            405,
            "BAD_USER_INPUT",
            f"{request.method} is not supported: send GraphQL with GET or POST",
            {"Allow": ", ".join(METHODS)},
            media_type,
        )
    if request.method == "POST" and not is_json_body(request.headers.get("content-type")):
        return _error(
            415,
            "BAD_USER_INPUT",
            "the request body must be JSON: Content-Type: application/json (UTF-8)",
            {"Accept-Post": JSON},
            media_type,
        )
    if _credentials_in_url(request):
        return _error(
            400,
            "BAD_USER_INPUT",
            "credentials in the URL are refused (they leak into logs); "
            "send them in the Authorization header",
            media_type=media_type,
        )
    return None


def _refusal(error: StrawberryHTTPException, media_type: str) -> Response:
    """strawberry's refusal of a request, GraphQL-shaped, with the spec's status."""
    cause = error.__cause__
    if isinstance(cause, InvalidOperationTypeError):
        # a mutation over GET: the spec's MUST is 405, and POST is the method that would do
        return _error(405, "BAD_USER_INPUT", error.reason, {"Allow": "POST"}, media_type)
    if isinstance(cause, CannotGetOperationTypeError):
        # a well-formed request whose document has no such operation: a request error
        status = request_error_status(media_type)
        return _error(status, "BAD_USER_INPUT", error.reason, media_type=media_type)
    code = "BAD_USER_INPUT" if error.status_code < 500 else "INTERNAL"
    return _error(error.status_code, code, error.reason, media_type=media_type)


@dataclass
class _RequestData(GraphQLRequestData):
    """strawberry's request data, with the ``documentId`` of a persisted document request
    (GraphQL over HTTP, appendix A), which strawberry does not read."""

    document_id: object = None


async def _document_id(view: GraphQLEndpoint, request: AsyncHTTPRequestAdapter) -> object:
    """The request's ``documentId`` parameter, if it has one (of whatever JSON type)."""
    if request.method == "GET":
        return request.query_params.get("documentId")
    body = await request.get_body()  # read once already, and kept by starlette
    if b'"documentId"' not in body:  # nearly every request: the body is not parsed twice
        return None
    data = view.decode_json(body)
    return data.get("documentId") if isinstance(data, dict) else None


_PLAIN_REQUEST = frozenset({"query", "operationName", "variables"})


async def _plain_request(request: Request) -> tuple[str, str | None, dict[str, Any] | None] | None:
    """The query, operation name and variables of a POST naming no persisted document and
    no extensions (what a shortcut may answer), or None."""
    if request.method != "POST":
        return None
    try:
        data = json.loads(await request.body())
    except ValueError:
        return None  # strawberry's parsing says what is wrong with it
    if not isinstance(data, dict) or not data.keys() <= _PLAIN_REQUEST:
        return None
    query, name, variables = data.get("query"), data.get("operationName"), data.get("variables")
    if not isinstance(query, str) or not isinstance(name, str | None):
        return None
    return (query, name, variables) if isinstance(variables, dict | None) else None


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


class _Answered(NamedTuple):
    """An operation's answer, sent with its bookkeeping after it."""

    response: Response
    principal: Principal
    uncharged: int | None = None
    """The cost still to charge (``Allowances.charge``), if any."""


class GraphQLEndpoint(GraphQL[Context, None]):
    """strawberry's ASGI view behind bearer authentication and a per-operation transaction,
    speaking GraphQL over HTTP: the media type the client accepts, the spec's statuses."""

    request_adapter_class = _RequestAdapter

    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        sessions: async_sessionmaker[LockedSession],
        bearer_jwts: BearerJwts,
    ) -> None:
        # the pipeline keeps what it answered from one statement; handle() serves it again
        self.shortcuts = Shortcuts() if settings.compiled_reads == "on" else None
        super().__init__(
            build_schema(settings, self.shortcuts),
            graphql_ide="graphiql" if settings.is_dev else None,
            allow_queries_via_get=True,
        )
        self.settings = settings
        self.engine = engine
        self.sessions = sessions
        self.bearer_jwts = bearer_jwts
        self.last_used = LastUsed(sessions)
        self.allowances = Allowances(
            Budgets(settings.cost_budget_per_credential, settings.cost_budget_per_organisation)
        )

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

    @property
    def graphql_ide_html(self) -> str:
        """The portal's own GraphiQL page, whose assets it serves itself (offline)."""
        return graphiql.PAGE

    def _wants_ide(self, request: Request) -> bool:
        return (
            self.graphql_ide is not None
            and request.method == "GET"
            and "text/html" in request.headers.get("accept", "")
            and "query" not in request.query_params
            and "documentId" not in request.query_params
        )

    async def handle(self, request: Request) -> Response:
        """Answer one HTTP request: refusals that need no database first, then the bearer,
        then the operation in a tenant transaction (committed unless it failed)."""
        if self._wants_ide(request):
            return await self.render_graphql_ide(request)
        media_type = negotiate(request.headers.get("accept"))
        if media_type is None:
            return _error(
                406,
                "BAD_USER_INPUT",
                f"the Accept header must allow {GRAPHQL_RESPONSE} or {JSON}",
            )
        refused = _refuse_transport(request, media_type)
        if refused is not None:
            return refused
        header = request.headers.get("authorization")
        if header is None:
            return _unauthenticated(
                "authentication required: Authorization: Bearer <token>", media_type
            )
        match = _BEARER.match(header)
        if match is None:
            return _unauthenticated("the Authorization header must be 'Bearer <token>'", media_type)

        token = match.group(1)
        answered: Response | _Answered | None = await self._direct(request, token, media_type)
        if answered is None:
            answered = await self._through_session(request, token, media_type)
        if isinstance(answered, Response):
            return answered
        response, principal, uncharged = answered
        # after the answer, in transactions of their own: bookkeeping never fails a request
        tasks = BackgroundTasks()
        if uncharged is not None:
            tasks.add_task(self.allowances.charge, self.sessions, principal, uncharged)
        if (
            principal.credential_kind is CredentialKind.API_TOKEN
            and principal.credential_id is not None
            and self.last_used.due(principal.credential_id)
        ):
            tasks.add_task(self.last_used.record, principal)
        response.background = tasks
        return response

    async def _through_session(
        self, request: Request, token: str, media_type: str
    ) -> Response | _Answered:
        """The request in a session: its start, then a shortcut or the GraphQL pipeline;
        a refusal, or the answer with the cost still to charge (``_operate``)."""
        for attempt in range(2):
            async with request_session(self.sessions) as session:
                try:
                    principal = await self._authenticate(session, token)
                except InvalidToken as error:
                    return _unauthenticated(str(error), media_type, invalid_token=True)
                except DBAPIError as error:
                    # no pre-ping: a connection that died in the pool (a database restart)
                    # fails its first statement, and nothing has happened yet, so retry once
                    if attempt == 0 and error.connection_invalidated:
                        log.warning("a pooled database connection was closed; retrying")
                        continue
                    raise
                shortcut = await self._shortcut(request, session, principal, media_type)
                if shortcut is not None:
                    return _Answered(shortcut, principal)
                outcome = await self._operate(request, session, principal, media_type)
                if isinstance(outcome, Response):
                    return outcome
                return _Answered(outcome[0], principal, outcome[1])
        raise AssertionError("unreachable: the second attempt returns or raises")

    async def _authenticate(self, session: LockedSession, token: str) -> Principal:
        """The request start: the bearer's principal, the session in its tenant context."""
        if token.startswith(TOKEN_PREFIX):
            principal = await authenticate_api_token(
                session, token, secret=self.settings.token_secret.get_secret_value(), now=utcnow()
            )
            if principal is None:
                raise InvalidToken("the token is invalid, expired or revoked")
            return principal
        return await self.bearer_jwts.authenticate(session, token)

    async def _shortcut(
        self, request: Request, session: LockedSession, principal: Principal, media_type: str
    ) -> Response | None:
        """The answer to a request the pipeline already answered from a compiled statement
        (``schema.planner.Shortcuts``): its statement run again in the request's
        transaction, within the budget and charged before COMMIT; None for the pipeline."""
        asked = await _plain_request(request) if self.shortcuts is not None else None
        if asked is None or principal.trusted_documents_only:
            return None
        assert self.shortcuts is not None
        found = self.shortcuts.get(request_key(*asked, principal))
        if found is None:
            return None
        allowances = self.allowances
        if allowances.enabled and await allowances.take(session, principal, found.requested):
            return None  # the pipeline answers the refusal, as it does every refusal
        try:
            data = await run(session, found.statement)
            await session.commit()
        except BaseException:
            allowances.forget(session)  # rolled back: the database never recorded them
            raise
        return self._shortcut_response(found, data, media_type)

    async def _direct(self, request: Request, token: str, media_type: str) -> _Answered | None:
        """A shortcut (``_shortcut``) served on a pooled connection by asyncpg alone, with
        no session: BEGIN, the API token's request start, the kept statement, COMMIT.

        Taken only when it can answer: a plain request that someone's shortcut answers, an
        API token, and, with budgets, an allowance this process already holds. Anything
        else rolls back what it began (nothing but the start) and returns None for the
        session's path, which answers every refusal as always."""
        shortcuts = self.shortcuts
        if shortcuts is None or not token.startswith(TOKEN_PREFIX) or not is_well_formed(token):
            return None
        asked = await _plain_request(request)
        if asked is None:
            return None
        part = request_part(*asked)
        if not shortcuts.asked(part):
            return None
        secret = self.settings.token_secret.get_secret_value()
        async with self.engine.connect() as connection:
            driver: Any = (await connection.get_raw_connection()).driver_connection
            transaction = driver.transaction()
            try:
                await transaction.start()
            except Exception:
                # no pre-ping: a connection that died in the pool fails here, before
                # anything happened; the session's path retries on another one
                log.warning("a pooled database connection failed; retrying in a session")
                if driver.is_closed():
                    await connection.invalidate()
                return None
            try:
                row = await driver.fetchrow(_DIRECT_START, hash_token(token, secret))
                principal = token_principal(row, utcnow())
                found = None
                if principal is not None and not principal.trusted_documents_only:
                    found = shortcuts.get((*part, *principal_part(principal)))
                    allowances = self.allowances
                    if (
                        found is not None
                        and allowances.enabled
                        and not allowances.spend_held(principal, found.requested)
                    ):
                        found = None  # an allowance to take: the session's path takes it
                if found is None or principal is None:
                    await transaction.rollback()
                    return None
                data: str = await driver.fetchval(found.statement.sql, *found.statement.params)
                await transaction.commit()
            except BaseException:
                if not transaction.is_completed() and not driver.is_closed():
                    await transaction.rollback()
                if driver.is_closed():
                    await connection.invalidate()
                raise
        return _Answered(self._shortcut_response(found, data, media_type), principal)

    def _shortcut_response(self, found: Shortcut, data: str, media_type: str) -> Response:
        """The response of a shortcut: the statement's JSON and the operation's cost."""
        answer = RawJSON(data)
        cost = CostReport(found.requested, answer.objects(), self.settings.max_cost)
        body = self.encode_json({"data": answer, "extensions": {"cost": cost.as_extension()}})
        return Response(body, media_type=CONTENT_TYPES[media_type])

    async def _operate(
        self, request: Request, session: LockedSession, principal: Principal, media_type: str
    ) -> Response | tuple[Response, int | None]:
        """Run the operation in the request's transaction, committed unless it failed: the
        response and the cost still to charge afterwards (None: nothing, or no budgets), or
        a refusal."""
        act_as(session, Actor.of(principal))
        context = Context(
            request=request,
            session=session,
            principal=principal,
            settings=self.settings,
            loaders=Loaders(session, principal),
            allowances=self.allowances,
        )
        try:
            response = await self.run(request, context=context)
        except StrawberryHTTPException as error:
            return _refusal(error, media_type)
        except persisted.Refused as error:
            status = error.status or request_error_status(media_type)
            return _error(status, error.code, error.message, error.headers, media_type)
        try:
            if context.failed:
                await session.rollback()
            else:
                await session.commit()
        except Exception:
            log.exception("could not commit the operation")
            self.allowances.forget(session)
            return _error(500, "INTERNAL", "Internal server error.", media_type=media_type)
        if not self.allowances.enabled:
            return response, None
        if context.taken is None:
            return response, 1  # refused before its cost was known: a refusal costs 1
        if context.failed and session.info.get("allowances"):
            # the allowance it took rolled back with it: the failure is charged on its own
            self.allowances.forget(session)
            return response, context.taken
        return response, None

    # --- strawberry's view, to the letter of GraphQL over HTTP ----------------------------

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        """Never: handle() has already served the IDE if it was asked for; a GET without a
        query is then a request with no query (400), not a missing page (strawberry's 404)."""
        return False

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        """strawberry's sub-response, carrying the negotiated media type to create_response."""
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = negotiate(request.headers.get("accept")) or JSON
        return sub_response

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """strawberry's parsing, also refusing (400) a body that is not a JSON object and an
        ``operationName`` that is not a string, which strawberry would pass on."""
        try:
            parsed = await super().parse_http_body(request)
        except AttributeError as error:  # strawberry calls .get() on whatever JSON it read
            raise StrawberryHTTPException(400, "the request body must be a JSON object") from error
        if isinstance(parsed, GraphQLRequestData) and not isinstance(
            parsed.operation_name, str | None
        ):
            raise StrawberryHTTPException(
                400,
                "The GraphQL operation's `operationName` must be a string or null, if provided.",
            )
        if isinstance(parsed, GraphQLRequestData):
            return _RequestData(
                query=parsed.query,
                variables=parsed.variables,
                operation_name=parsed.operation_name,
                extensions=parsed.extensions,
                protocol=parsed.protocol,
                document_id=await _document_id(self, request),
            )
        return parsed

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """strawberry's execution of one operation, whose document is first looked up when
        the request names a persisted one (``portal.persisted``: refusals raise
        ``persisted.Refused``, which handle() answers); a document newly sent with its APQ
        hash is kept once it ran without errors, in the operation's transaction."""
        ask = persisted.read_request(
            request_data.query,
            request_data.extensions,
            getattr(request_data, "document_id", None),
        )
        resolved = await persisted.resolve(context.session, context.principal, ask)
        result = await super().execute_single(
            request=request,
            request_adapter=request_adapter,
            sub_response=sub_response,
            context=context,
            root_value=root_value,
            request_data=replace(request_data, query=resolved.query),
        )
        if resolved.remember is not None and resolved.query is not None and not result.errors:
            await persisted.remember(
                context.session, context.principal, resolved.remember, resolved.query
            )
        return result

    def encode_json(self, data: object) -> str | bytes:
        """strawberry's encoding, except that ``data`` the compiled read path wrote as JSON
        text is spliced in as it is: never parsed, never written twice."""
        raw = data.get("data") if isinstance(data, dict) else None
        if isinstance(data, dict) and isinstance(raw, RawJSON):
            rest = {key: value for key, value in data.items() if key != "data"}
            body: str = '{"data":' + raw
            return body + ("," + json.dumps(rest)[1:] if rest else "}")
        encoded: str | bytes = super().encode_json(data)
        return encoded

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """strawberry's response in the negotiated media type. A request error has no
        ``data`` entry (the GraphQL spec: execution never began) and, in
        graphql-response+json, a 4xx status; execution errors stay 200 with their data."""
        media_type = sub_response.media_type or JSON
        status: int | None = None
        if isinstance(response_data, dict) and is_request_error(response_data):
            response_data.pop("data", None)  # a fresh dict per request: strawberry's, ours now
            status = request_error_status(media_type, internal=is_internal(response_data))
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = CONTENT_TYPES[media_type]
        if status is not None:
            response.status_code = status
        wait = retry_after(response_data) if isinstance(response_data, dict) else None
        if wait is not None:
            response.status_code = 429
            response.headers["retry-after"] = str(wait)
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
    use_audit_key(settings.audit_key)
    sessions = make_sessionmaker(engine)
    own_keys = OwnKeys(sessions, access_lifetime=settings.access_token_seconds)
    signin = SignIn(settings, sessions, own_keys)
    bearer_jwts = BearerJwts(settings.issuer, sessions, own_keys, signin.key_sets)
    graphql = GraphQLEndpoint(settings, engine, sessions, bearer_jwts)

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
        # the first start of a portal makes its signing key (the token endpoint would too)
        async with signin_session(sessions) as session:
            await ensure_signing_key(session, settings.sealing_key, utcnow())
            await session.commit()
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
            # every method reaches the endpoint, which refuses the others GraphQL-shaped
            Route("/graphql", graphql),
            *signin.routes(),
            *(graphiql.ROUTES if settings.is_dev else []),
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
