"""The root fields the planner compiles, each as its resolver answers it: ``viewer``,
``node``, ``alliance``, and the ``alliances``, ``plans`` and ``contributions`` lists
(forward pages in their column orderings). Each refuses (``NotPlanable``) whatever its
resolver would answer with an error or by another rule, so the resolvers keep those
answers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from graphql import FieldNode, GraphQLField, GraphQLObjectType

from auth.scopes import Scope
from portal.kernel.errors import BadInput
from schema.alliances.types import ALLIANCE_ORDERINGS
from schema.contributions.queries import COLUMN_ORDERINGS as CONTRIBUTION_ORDERINGS
from schema.kernel import sql
from schema.kernel.ids import parse_global_id
from schema.planner.compiler import (
    Compiler,
    NotPlanable,
    RootCompiler,
    object_type,
    read_scope_of,
    table_of,
)
from schema.planner.connections import connection
from schema.plans.queries import PLANS_BY_UPDATE


def _global_id(value: Any) -> tuple[str, uuid.UUID]:
    """The type and uuid of a global ID; one the resolvers would refuse is theirs to answer."""
    try:
        return parse_global_id(str(value), "id")
    except BadInput:
        raise NotPlanable("not a global id") from None


def _alliance(compiler: Compiler, value: Any) -> str:
    """A condition on ``{t}.alliance_id`` for an alliance's global ID."""
    type_name, alliance_id = _global_id(value)
    if type_name != "Alliance":
        raise NotPlanable("an ID of another type")  # the resolvers list nothing for it
    return f"{{t}}.alliance_id = {compiler.param(alliance_id, 'uuid')}"


def _one(
    compiler: Compiler, type_: GraphQLObjectType, node: FieldNode, object_id: uuid.UUID
) -> str:
    scope = read_scope_of(type_)
    if scope is not None and not compiler.principal.has(scope):
        raise NotPlanable("a node the principal may not read")
    table = table_of(type_)
    alias = compiler.alias()
    value = compiler.object_json(type_, node.selection_set, alias)
    key = compiler.param(object_id, "uuid")
    visible = table.visible.replace("{t}", alias)
    return (
        f"(SELECT {value} FROM public.{table.name} {alias} WHERE {alias}.id = {key} "
        f"AND ({visible}))"
    )


def node(compiler: Compiler, field_def: GraphQLField, node: FieldNode) -> str:
    """``node(id:)``: the row of the type the ID names, if the principal may see it."""
    type_name, object_id = _global_id(compiler.arguments(field_def, node)["id"])
    type_ = compiler.schema.get_type(type_name)
    if not isinstance(type_, GraphQLObjectType):
        raise NotPlanable("an ID of no type")
    return _one(compiler, type_, node, object_id)


def alliance(compiler: Compiler, field_def: GraphQLField, node: FieldNode) -> str:
    """``alliance(id:)``: the alliance, if the principal's organisation is a member."""
    type_name, object_id = _global_id(compiler.arguments(field_def, node)["id"])
    if type_name != "Alliance":
        raise NotPlanable("an ID of another type")
    type_ = compiler.schema.get_type("Alliance")
    assert isinstance(type_, GraphQLObjectType)
    return _one(compiler, type_, node, object_id)


def viewer(compiler: Compiler, field_def: GraphQLField, node: FieldNode) -> str:
    """``viewer``: the principal's user, credential and scopes, and its organisation."""
    principal = compiler.principal
    type_ = object_type(field_def.type)
    user = str(principal.user_id) if principal.user_id else None
    scopes = sorted(scope.value for scope in principal.scopes)
    values: dict[str, Callable[[], str]] = {  # a parameter only for what is selected
        "userId": lambda: compiler.param(user, "text"),
        "credentialKind": lambda: compiler.param(principal.credential_kind.value, "text"),
        "scopes": lambda: f"to_json({compiler.param(scopes, 'text[]')})",
        "__typename": lambda: f"'{type_.name}'",
    }
    parts = []
    for key, selected in compiler.fields(type_, node.selection_set):
        name = selected.name.value
        if name == "organisation":
            organisation = compiler.schema.get_type("Organisation")
            assert isinstance(organisation, GraphQLObjectType)
            alias = compiler.alias()
            value = compiler.object_json(organisation, selected.selection_set, alias)
            parts.append(
                f"'{key}', (SELECT {value} FROM public.organisations {alias}"
                f" WHERE {alias}.id = {sql.ME})"
            )
        elif name in values:
            parts.append(f"'{key}', {values[name]()}")
        else:
            raise NotPlanable("a viewer field")
    return f"json_build_object({', '.join(parts)})"


def contributions(compiler: Compiler, field_def: GraphQLField, node: FieldNode) -> str:
    """``contributions``: one forward page of an alliance's (or every alliance's)
    contributions in a column ordering, narrowed by kind and status."""
    if not compiler.principal.has(Scope.CONTRIBUTIONS_READ):
        raise NotPlanable("a scope the principal lacks")
    arguments = compiler.arguments(field_def, node)
    ordering = CONTRIBUTION_ORDERINGS.get(arguments.get("orderBy"))  # type: ignore[arg-type]
    if ordering is None:
        raise NotPlanable("an ordering the planner does not compile")
    where = (
        [] if arguments.get("alliance") is None else [_alliance(compiler, arguments["alliance"])]
    )
    where += _filter(compiler, arguments.get("filter"), {"kinds": "kind", "statuses": "status"})
    return connection(compiler, field_def, node, "Contribution", ordering, where, arguments)


def plans(compiler: Compiler, field_def: GraphQLField, node: FieldNode) -> str:
    """``plans(alliance:)``: one forward page of an alliance's visible plans, most recently
    changed first, narrowed by status (TITLE order and the other filters: the resolvers)."""
    if not compiler.principal.has(Scope.PLANS_READ):
        raise NotPlanable("a scope the principal lacks")
    arguments = compiler.arguments(field_def, node)
    if arguments["orderBy"].name != "UPDATED_AT_DESC":
        raise NotPlanable("an ordering the planner does not compile")
    where = [_alliance(compiler, arguments["alliance"])]
    where += _filter(compiler, arguments.get("filter"), {"statuses": "status"})
    return connection(compiler, field_def, node, "Plan", PLANS_BY_UPDATE, where, arguments)


def alliances(compiler: Compiler, field_def: GraphQLField, node: FieldNode) -> str:
    """``alliances``: one forward page of the organisation's current alliances."""
    if not compiler.principal.has(Scope.ALLIANCES_READ):
        raise NotPlanable("a scope the principal lacks")
    arguments = compiler.arguments(field_def, node)
    ordering = ALLIANCE_ORDERINGS[arguments["orderBy"]]
    where = _filter(compiler, arguments.get("filter"), {"statuses": "status"})
    return connection(compiler, field_def, node, "Alliance", ordering, where, arguments)


def _filter(
    compiler: Compiler, chosen: dict[str, Any] | None, columns: dict[str, str]
) -> list[str]:
    """The conditions of a list filter whose given fields are all enum lists of
    ``columns``; any other given field leaves the list to its resolver."""
    if chosen is None:
        return []
    given = {name for name, value in chosen.items() if value is not None}
    if given - set(columns):
        raise NotPlanable("a filter the planner does not compile")
    where = []
    for name in sorted(given):
        stored = [value.value for value in chosen[name]]
        where.append(f"{{t}}.{columns[name]} = ANY({compiler.param(stored, 'text[]')})")
    return where


ROOTS: dict[str, RootCompiler] = {
    "viewer": viewer,
    "node": node,
    "alliance": alliance,
    "alliances": alliances,
    "plans": plans,
    "contributions": contributions,
}
"""The root fields the planner compiles, by name."""
