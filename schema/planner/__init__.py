"""The compiled read path (SPEC §9): a query whose whole selection is declared in SQL
(``schema.kernel.sql``) runs as one statement that builds the response's JSON in
PostgreSQL, in the request's transaction and so under its row-level security, instead of
completing every field in Python. Anything else runs through the resolvers.

The plan of a document, its operation, its variables and the caller's scopes, user and
credential kind is kept (the SQL is the same for every organisation: the tenant comes from
the transaction), so a repeated request costs one cache lookup and one prepared statement;
in mode ``on`` the endpoint answers it without the GraphQL pipeline at all (``Shortcuts``).

Modes (``PORTAL_COMPILED_READS``): ``on`` serves planable queries from their statement;
``off`` never does; ``verify`` runs both paths and answers with an INTERNAL error when
they differ (the test suite runs in it, so every query it sends is a differential test).
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

from graphql import (
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
)
from graphql.execution.values import get_variable_values
from strawberry.extensions import SchemaExtension

from auth.principal import Principal
from db import rls
from db.session import LockedSession
from portal.kernel.errors import ErrorCode
from schema.kernel import sql
from schema.planner.compiler import Compiler, NotPlanable, Statement
from schema.planner.roots import ROOTS

log = logging.getLogger("portal.planner")

Mode = Literal["on", "off", "verify"]

_OBJECT = re.compile(r'\{"[_A-Za-z][_0-9A-Za-z]*" : ')
"""An object as ``json_build_object`` writes it: ``{"key" : ``. Inside a JSON string a quote
is escaped, and a string ending in ``{`` is followed by ``,``, ``}`` or ``]``, never by a
name: so this matches object starts only."""


class RawJSON(str):
    """The response's ``data`` as PostgreSQL wrote it: passed to the client as it is,
    without being parsed and written again (``portal.app`` splices it into the body)."""

    __slots__ = ()

    def objects(self) -> int:
        """How many JSON objects it holds (the query cost's ``actual``)."""
        return len(_OBJECT.findall(self))


PLANS = 1024
"""How many plans (or verdicts of "not planable") are remembered."""


def plan(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    raw_variables: dict[str, Any],
    principal: Principal,
) -> Statement:
    """The statement answering ``operation`` for ``principal``, or ``NotPlanable``."""
    if operation.operation is not OperationType.QUERY or operation.directives:
        raise NotPlanable("not a query")
    variables = get_variable_values(schema, operation.variable_definitions or (), raw_variables)
    if isinstance(variables, list):
        raise NotPlanable("variables the executor refuses")
    compiler = Compiler(schema, fragments, variables, principal)
    root = schema.query_type
    assert root is not None
    parts = []
    for key, node in compiler.fields(root, operation.selection_set):
        name = node.name.value
        if name == "__typename":
            parts.append(f"'{key}', '{root.name}'")
            continue
        compile_root = ROOTS.get(name)
        if compile_root is None:
            raise NotPlanable(f"the root field {name}")
        parts.append(f"'{key}', {compile_root(compiler, root.fields[name], node)}")
    return Statement(
        _with_principal(f"json_build_object({', '.join(parts)})::text"), tuple(compiler.params)
    )


PRINCIPAL = {
    rls.MEMBER_ALLIANCES: ("member_alliances", "public.portal_member_alliances()"),
    rls.SEATED_COMMITTEES: ("seated_committees", "public.portal_seated_committees()"),
    rls.GRANTED_OBJECTS: ("granted_objects", "public.portal_granted_objects()"),
    sql.STEERING_ALLIANCES: ("steering_alliances", "public.portal_steering_alliances()"),
}
"""What the visibility rules ask of the transaction's organisation, by the expression the
rules write (each a definer function's call): the statement asks each once, in ``me``."""


def _with_principal(body: str) -> str:
    """``SELECT body`` with the principal's values computed once for the statement.

    The declared rules call the definer functions inside every sub-select, and each call is
    a query of its own; row-level security asks them again underneath. The application's
    copy of the rules reads them from one row (``me``) instead, so enforcing the rules
    twice does not cost twice."""
    columns = []
    for expression, (name, call) in PRINCIPAL.items():
        if expression in body:
            body = body.replace(expression, f"(me.{name})")
            columns.append(f"{call} AS {name}")
    if not columns:
        return f"SELECT {body}"
    # materialised: inlined, each use would call the function again, row by row
    return f"WITH me AS MATERIALIZED (SELECT {', '.join(columns)}) SELECT {body} FROM me"


def request_part(
    query: str | None, operation_name: str | None, variables: dict[str, Any] | None
) -> tuple[Any, ...]:
    """What a plan depends on of the request: the document, its operation and variables."""
    return (query, operation_name, json.dumps(variables or {}, sort_keys=True, default=str))


def principal_part(principal: Principal) -> tuple[Any, ...]:
    """What a plan depends on of the principal: what the statement may carry of it
    (``viewer``: scopes, user, credential kind), never the organisation, which the
    transaction names."""
    return (principal.scopes, principal.user_id, principal.credential_kind)


def request_key(
    query: str | None,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    principal: Principal,
) -> tuple[Any, ...]:
    """What a plan depends on: ``request_part`` and ``principal_part``."""
    return (*request_part(query, operation_name, variables), *principal_part(principal))


async def run(session: LockedSession, statement: Statement) -> str:
    """The statement's JSON, run on the session's connection (in its transaction, as its
    tenant) by asyncpg itself, which prepares it once per connection."""
    async with session.lock:
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        text: str = await driver.fetchval(statement.sql, *statement.params)
    return text


@dataclass(frozen=True, slots=True)
class Shortcut:
    """A request the pipeline answered from one statement: served again without it."""

    statement: Statement
    requested: int
    """The operation's requested cost (``extensions.cost.requested``, what is charged)."""


class Plans:
    """The plans of recent requests, least recently used first out."""

    def __init__(self, size: int = PLANS) -> None:
        self.size = size
        self._plans: OrderedDict[tuple[Any, ...], Statement | None] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> Statement | bool | None:
        """The plan, ``None`` for "not planable", ``False`` when never planned."""
        if key not in self._plans:
            return False
        self._plans.move_to_end(key)
        return self._plans[key]

    def put(self, key: tuple[Any, ...], statement: Statement | None) -> None:
        self._plans[key] = statement
        if len(self._plans) > self.size:
            self._plans.popitem(last=False)


_REQUEST_PART = 3
"""How many items of a ``request_key`` are its ``request_part``."""


class Shortcuts:
    """The requests the pipeline answered with a compiled statement, by ``request_key``.

    Everything the pipeline decides before the statement runs follows from the key alone
    (the document's validity, limits and cost, the variables' coercion, the scopes' and
    the plan's verdicts), so the endpoint serves a repeated request from here with the
    request start, the budget and the statement only (``portal.app``). Kept only in
    mode ``on``: ``verify`` compares every request on both paths."""

    def __init__(self, size: int = PLANS) -> None:
        self.size = size
        self._served: OrderedDict[tuple[Any, ...], Shortcut] = OrderedDict()
        self._asked: Counter[tuple[Any, ...]] = Counter()

    def get(self, key: tuple[Any, ...]) -> Shortcut | None:
        found = self._served.get(key)
        if found is not None:
            self._served.move_to_end(key)
        return found

    def asked(self, part: tuple[Any, ...]) -> bool:
        """Whether a request with this ``request_part`` is kept for anyone: then it is
        worth starting the request to learn whether it is kept for its principal."""
        return part in self._asked

    def put(self, key: tuple[Any, ...], shortcut: Shortcut) -> None:
        part = key[:_REQUEST_PART]
        if key not in self._served:
            self._asked[part] += 1
        self._served[key] = shortcut
        if len(self._served) > self.size:
            dropped, _ = self._served.popitem(last=False)
            part = dropped[:_REQUEST_PART]
            self._asked[part] -= 1
            if not self._asked[part]:
                del self._asked[part]


def compiled_reads(mode: Mode, shortcuts: Shortcuts | None = None) -> type[SchemaExtension]:
    """The extension class serving planable queries from one statement (see the module);
    in mode ``on``, what it served is kept in ``shortcuts``."""
    plans = Plans()

    class CompiledReads(SchemaExtension):
        """See :mod:`schema.planner`."""

        async def on_execute(self) -> AsyncIterator[None]:
            context = self.execution_context
            compiled = None
            if mode != "off" and context.result is None:
                statement = self._statement()
                if statement is not None:
                    text = await run(context.context.session, statement)
                    if mode == "on":
                        context.result = ExecutionResult(data=RawJSON(text), errors=None)  # type: ignore[arg-type]
                        self._keep(statement)
                    else:
                        compiled = json.loads(text)
            yield
            if compiled is not None:
                self._verify(compiled)

        def _statement(self) -> Statement | None:
            context = self.execution_context
            document = context.graphql_document
            principal: Principal = context.context.principal
            key = request_key(context.query, context.operation_name, context.variables, principal)
            known = plans.get(key)
            if known is not False:
                return known  # type: ignore[return-value]
            statement = None
            if document is not None:
                operation = get_operation_ast(document, context.operation_name)
                fragments = {
                    d.name.value: d
                    for d in document.definitions
                    if isinstance(d, FragmentDefinitionNode)
                }
                if operation is not None:
                    try:
                        statement = plan(
                            context.schema._schema,
                            operation,
                            fragments,
                            context.variables or {},
                            principal,
                        )
                    except NotPlanable as reason:
                        log.debug("not planable: %s", reason)
            plans.put(key, statement)
            return statement

        def _keep(self, statement: Statement) -> None:
            context = self.execution_context
            requested = getattr(context.context, "requested_cost", None)
            if shortcuts is None or requested is None:
                return
            key = request_key(
                context.query, context.operation_name, context.variables, context.context.principal
            )
            shortcuts.put(key, Shortcut(statement, requested))

        def _verify(self, compiled: dict[str, Any]) -> None:
            context = self.execution_context
            result = context.result
            answered = None if result is None else result.data
            errors = None if result is None else result.errors
            if answered == compiled and not errors:
                return
            log.error(
                "the compiled read differs from the resolvers': %s\ncompiled: %s\nresolved: %s",
                context.query,
                json.dumps(compiled, sort_keys=True),
                json.dumps({"data": answered, "errors": [str(e) for e in errors or ()]}),
            )
            if result is None:
                return
            # in place: strawberry answers with the result object it holds, not the context's
            result.data = None
            result.errors = [
                GraphQLError(
                    "the compiled read differs from the resolvers'",
                    extensions={"code": ErrorCode.INTERNAL.value},
                )
            ]

    return CompiledReads
