"""From a validated selection to one SQL statement whose result is the response's JSON.

Each object becomes a ``json_build_object`` over its row; a related row or list becomes a
correlated sub-select on an index (``schema.kernel.sql`` declares which), with the related
type's visibility rule in its WHERE clause; row-level security applies underneath, since
the statement runs in the request's transaction. Anything the declarations do not cover —
a field without one, a directive, a scope the principal lacks, an argument the resolvers
would refuse — raises ``NotPlanable``, and the operation runs through the resolvers, which
answer (and report errors) as they always do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import VariableValues, get_argument_values

from auth.principal import Principal
from auth.scopes import Scope
from schema.kernel import sql

MAX_KEYS = 50
"""``json_build_object`` takes at most 100 arguments: 50 keys and their values."""


class NotPlanable(Exception):
    """The selection needs the resolvers."""


@dataclass(frozen=True, slots=True)
class Statement:
    """The SQL of an operation and its parameters (``$1``…)."""

    sql: str
    params: tuple[Any, ...]


def object_type(type_: Any) -> GraphQLObjectType:
    """The object type under a field's list and non-null wrappers."""
    named = get_named_type(type_)
    if not isinstance(named, GraphQLObjectType):
        raise NotPlanable("a field of an abstract type")
    return named


def table_of(type_: GraphQLNamedType) -> sql.Table:
    """The declared table of an object type, or ``NotPlanable``."""
    definition = type_.extensions.get("strawberry-definition")
    table = getattr(getattr(definition, "origin", None), "sql_table", None)
    if not isinstance(table, sql.Table):
        raise NotPlanable(f"{type_.name} has no table")
    return table


def read_scope_of(type_: GraphQLNamedType) -> Scope | None:
    """The scope a node of ``type_`` needs to be read (``node(id:)``)."""
    definition = type_.extensions.get("strawberry-definition")
    scope = getattr(getattr(definition, "origin", None), "read_scope", None)
    return scope if isinstance(scope, Scope) else None


def planned(field_def: GraphQLField) -> sql.Planned:
    """A field's declaration, or ``NotPlanable``."""
    strawberry_field = field_def.extensions.get("strawberry-definition")
    declaration = getattr(strawberry_field, "metadata", {}).get(sql.KEY)
    if not isinstance(declaration, sql.Planned):
        raise NotPlanable("a field without a declaration")
    return declaration


def _json_value(column: sql.Column, alias: str) -> str:
    expression = column.sql.replace("{t}", alias)
    if column.enum is not None:
        return sql.enum_sql(expression, column.enum)
    match column.kind:
        case "datetime":
            return f"public.portal_json_datetime({expression})"
        case "date":
            return f"to_char({expression}, 'YYYY-MM-DD')"
        case "decimal":
            return f"({expression})::text"
        case _:
            return expression


@dataclass
class Compiler:
    """One statement's worth of SQL, built by walking a selection."""

    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: VariableValues
    principal: Principal
    params: list[Any] = field(default_factory=list)
    _aliases: int = 0

    def param(self, value: Any, cast: str) -> str:
        """A bound parameter, cast so its type never depends on inference."""
        self.params.append(value)
        return f"CAST(${len(self.params)} AS {cast})"

    def alias(self) -> str:
        self._aliases += 1
        return f"t{self._aliases}"

    def arguments(self, field_def: GraphQLField, node: FieldNode) -> dict[str, Any]:
        """The field's arguments, coerced as the executor would (strawberry's inputs)."""
        return get_argument_values(field_def, node, self.variables)

    def fields(
        self, type_: GraphQLObjectType, selection_set: SelectionSetNode | None
    ) -> list[tuple[str, FieldNode]]:
        """The selection's fields by response key, fragments applied to ``type_``, in the
        order the executor answers them; a directive, or an object selected twice under
        one key, leaves the operation to the executor, which knows how to merge them."""
        if selection_set is None:
            raise NotPlanable("an object without a selection")
        found: dict[str, FieldNode] = {}
        for node in self._flatten(type_, selection_set):
            key = node.alias.value if node.alias else node.name.value
            first = found.setdefault(key, node)
            # a leaf selected again (say id, in a fragment too) is the same value, at the
            # first place; an object selected twice would need its selections merged
            if first is not node and (
                first.name.value != node.name.value
                or first.selection_set is not None
                or node.selection_set is not None
                or first.arguments
                or node.arguments
            ):
                raise NotPlanable("an object selected twice under one key")
        if len(found) > MAX_KEYS:
            raise NotPlanable("more keys than json_build_object takes")
        return list(found.items())

    def _flatten(
        self, type_: GraphQLObjectType, selection_set: SelectionSetNode
    ) -> Iterator[FieldNode]:
        for selection in selection_set.selections:
            if selection.directives:
                raise NotPlanable("a directive")
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, type_):
                    yield from self._flatten(type_, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                if self._applies(fragment.type_condition.name.value, type_):
                    yield from self._flatten(type_, fragment.selection_set)

    def _applies(self, condition: str, type_: GraphQLObjectType) -> bool:
        target = self.schema.get_type(condition)
        if target is type_:
            return True
        if isinstance(target, GraphQLInterfaceType):
            return target in type_.interfaces
        return False  # another object type (or a union): never this row's

    def object_json(
        self, type_: GraphQLObjectType, selection_set: SelectionSetNode | None, alias: str
    ) -> str:
        """The JSON object of the row ``alias`` of ``type_``, as the selection asks."""
        parts = []
        for key, node in self.fields(type_, selection_set):
            parts.append(f"'{key}', {self.field_json(type_, node, alias)}")
        if not parts:
            # e.g. only fragments on other types: an empty object, which the cost count
            # of the response's text (RawJSON.objects) could not tell from text in a string
            raise NotPlanable("an empty selection")
        return f"json_build_object({', '.join(parts)})"

    def field_json(self, type_: GraphQLObjectType, node: FieldNode, alias: str) -> str:
        name = node.name.value
        if name == "__typename":
            return f"'{type_.name}'"
        field_def = type_.fields[name]
        if name == "id" and any(i.name == "Node" for i in type_.interfaces):
            return f"public.portal_global_id('{type_.name}', {alias}.id)"
        declared = planned(field_def)
        if declared.scope is not None and not self.principal.has(declared.scope):
            raise NotPlanable("a scope the principal lacks")
        if node.arguments:
            raise NotPlanable("a nested field with arguments")
        declaration = declared.declaration
        if isinstance(declaration, sql.Column):
            return _json_value(declaration, alias)
        target = self.schema.get_type(declaration.type_name)
        assert isinstance(target, GraphQLObjectType)
        table = (
            declaration.table
            if isinstance(declaration, sql.ToOne) and declaration.table
            else table_of(target)
        )
        child = self.alias()
        on = declaration.on.replace("{p}", alias).replace("{c}", child)
        where = f"{on} AND ({table.visible.replace('{t}', child)})"
        value = self.object_json(target, node.selection_set, child)
        source = f"FROM public.{table.name} {child} WHERE {where}"
        if isinstance(declaration, sql.ToOne):
            return f"(SELECT {value} {source})"
        order = declaration.order.replace("{c}", child)
        return f"(SELECT coalesce(json_agg({value} ORDER BY {order}), '[]'::json) {source})"


RootCompiler = Callable[[Compiler, GraphQLField, FieldNode], str]
"""How a root field becomes SQL: the compiler, the field, and its node."""
