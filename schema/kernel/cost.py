"""What an operation may cost, before any resolver runs, and what it did cost.

The model is GitHub's node count: every field that returns an object costs one for each
object it may return, and the objects below it are counted as many times as their parent
may be returned. A connection returns as many objects as its page (``first`` or ``last``,
20 when neither is given), its ``edges`` and ``node`` add nothing more; a plain list of
objects is counted as ``LIST_ESTIMATE`` objects, ``nodes(ids:)`` as the ids it names.
Arguments count with the request's real values: a page size given as a literal and one
given in a variable cost the same. Scalar fields are free; the operation itself costs 1.

The requested cost is checked against ``PORTAL_MAX_COST`` once the document is valid and
before execution (``QUERY_TOO_COMPLEX`` with ``extensions.cost``); every response reports
``extensions.cost``: the requested cost, the actual one (the objects the answer holds) and
the maximum.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
    is_composite_type,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from portal.budget import Allowances
from portal.kernel.errors import ErrorCode
from schema.kernel.pagination import DEFAULT_PAGE

LIST_ESTIMATE = 10
"""How many objects a plain (unpaged) list is counted as."""


def _is_list(kind: GraphQLOutputType) -> bool:
    while isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    return isinstance(kind, GraphQLList)


class _Counter:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.memo: dict[tuple[str, str], int] = {}
        self.open: set[str] = set()

    def selection_set(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType
    ) -> int:
        """The cost of one ``parent`` object's selections (cost is linear in how many
        parents there are, so fragments are counted once per parent type)."""
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(selection.selection_set, inner or parent)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
        return total

    def fragment(self, name: str) -> int:
        definition = self.fragments.get(name)
        if definition is None or name in self.open:
            return 0
        key = (name, definition.type_condition.name.value)
        if key not in self.memo:
            self.open.add(name)
            parent = self.schema.get_type(key[1])
            self.memo[key] = self.selection_set(definition.selection_set, parent) if parent else 0
            self.open.discard(name)
        return self.memo[key]

    def field(self, node: FieldNode, parent: GraphQLNamedType) -> int:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0  # a union's own fields: __typename only
        definition = parent.fields.get(node.name.value)
        if definition is None or not is_composite_type(get_named_type(definition.type)):
            return 0
        target = get_named_type(definition.type)
        returned = self._returned(node, parent, definition.type, target)
        return returned * (
            (0 if self._passes_through(parent) else 1)
            + self.selection_set(node.selection_set, target)
        )

    def _returned(
        self,
        node: FieldNode,
        parent: GraphQLNamedType,
        kind: GraphQLOutputType,
        target: GraphQLNamedType,
    ) -> int:
        """How many objects the field may return for one parent."""
        arguments = {
            argument.name.value: value_from_ast_untyped(argument.value, self.variables)
            for argument in node.arguments or ()
        }
        if target.name.endswith("Connection"):
            size = arguments.get("first")
            size = arguments.get("last") if size is None else size
            return size if isinstance(size, int) and size >= 0 else DEFAULT_PAGE
        if self._passes_through(parent):
            return 1  # a connection's edges and nodes: counted by the connection's page
        if not _is_list(kind):
            return 1
        ids = arguments.get("ids")
        return len(ids) if isinstance(ids, list) else LIST_ESTIMATE

    @staticmethod
    def _passes_through(parent: GraphQLNamedType) -> bool:
        return parent.name.endswith(("Connection", "Edge"))


def requested_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: dict[str, Any],
) -> int:
    """The most objects ``operation`` may return, with the request's ``variables``."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 1
    return 1 + _Counter(schema, fragments, variables).selection_set(operation.selection_set, root)


def actual_cost(data: Any) -> int:
    """The objects an answer holds (each JSON object in ``data``), the operation's 1 included."""
    objects = getattr(data, "objects", None)
    if callable(objects):  # data the compiled read path wrote as JSON text (RawJSON)
        return int(objects())
    if isinstance(data, dict):
        return 1 + sum(actual_cost(value) for value in data.values())
    if isinstance(data, list):
        return sum(actual_cost(item) for item in data)
    return 0


@dataclass(frozen=True, slots=True)
class CostReport:
    """The ``extensions.cost`` of a response."""

    requested: int | None
    actual: int | None
    maximum: int

    def as_extension(self) -> dict[str, int | None]:
        return {"requested": self.requested, "actual": self.actual, "max": self.maximum}


REMEMBERED_COSTS = 1024
"""How many recent operations' costs are remembered."""


def cost_limit(maximum: int) -> type[SchemaExtension]:
    """The extension class that refuses operations costing more than ``maximum``, or more
    than what is left of the caller's budgets (``portal.budget``), before they run, and
    reports ``extensions.cost`` on every response."""

    costs: dict[tuple[str, str | None, str], int] = {}
    """The cost of recent (document, operation, variables): a repeated request costs no walk.
    Insertion-ordered: the oldest entry goes first when the memory is full."""

    def cost_of(context: ExecutionContext, document: DocumentNode) -> int | None:
        key = (
            context.query or "",
            context.operation_name,
            json.dumps(context.variables, sort_keys=True, default=str),
        )
        found = costs.get(key)
        if found is None:
            operation = get_operation_ast(document, context.operation_name)
            if operation is None:
                return None
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            found = requested_cost(
                context.schema._schema, operation, fragments, context.variables or {}
            )
            costs[key] = found
            if len(costs) > REMEMBERED_COSTS:
                del costs[next(iter(costs))]
        return found

    class LimitCost(SchemaExtension):
        """See :mod:`schema.kernel.cost`."""

        requested: int | None = None

        async def on_execute(self) -> AsyncIterator[None]:
            context = self.execution_context
            document = context.graphql_document
            if document is not None:
                requested = cost_of(context, document)
                if requested is not None:
                    self.requested = requested
                    if self.requested > maximum:
                        raise GraphQLError(
                            f"the operation may cost {self.requested}, more than {maximum}",
                            extensions={
                                "code": ErrorCode.QUERY_TOO_COMPLEX.value,
                                "cost": CostReport(self.requested, None, maximum).as_extension(),
                            },
                        )
                    await self._within_budget(self.requested)
                    if hasattr(context.context, "requested_cost"):
                        context.context.requested_cost = self.requested  # let through
            yield

        async def _within_budget(self, cost: int) -> None:
            context = self.execution_context.context
            session = getattr(context, "session", None)
            principal = getattr(context, "principal", None)
            allowances: Allowances | None = getattr(context, "allowances", None)
            if session is None or principal is None or allowances is None:
                return  # executed outside a request (tests of the schema alone)
            if not allowances.enabled:
                return
            wait = await allowances.take(session, principal, cost)
            if wait is None:
                context.taken = cost
            else:
                raise GraphQLError(
                    f"the cost budget of this minute is spent; retry in {wait} s",
                    extensions={
                        "code": ErrorCode.RATE_LIMITED.value,
                        "retryAfter": wait,
                        "cost": CostReport(cost, None, maximum).as_extension(),
                    },
                )

        def get_results(self) -> dict[str, Any]:
            result = self.execution_context.result
            data = getattr(result, "data", None)
            actual = actual_cost(data) if data is not None else None
            return {"cost": CostReport(self.requested, actual, maximum).as_extension()}

    return LimitCost
