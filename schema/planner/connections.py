"""A Relay connection as one sub-select: a forward page of a type's visible rows in a
keyset ordering (``schema.kernel.pagination.Ordering``), its edges, nodes, cursors and
page info written by PostgreSQL exactly as ``paginate`` writes them in Python.

One row more than the page is read, to know whether another page follows; cursors are
``base64url(json([ordering name, *keys]))`` without padding, built from the same values.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from graphql import FieldNode, GraphQLField, GraphQLObjectType

from portal.kernel.errors import BadInput
from schema.kernel.pagination import DEFAULT_PAGE, MAX_PAGE, Ordering, decode_cursor
from schema.planner.compiler import Compiler, NotPlanable, object_type, table_of

_CASTS = {uuid.UUID: "uuid", dt.datetime: "timestamptz", dt.date: "date", str: "text", int: "int"}


def _json_text(python_type: type, column: str) -> str:
    """A key's value as ``json.dumps`` writes it in a cursor (``ensure_ascii=False``)."""
    if python_type is dt.datetime:
        return f"'\"' || public.portal_json_datetime({column}) || '\"'"
    if python_type is dt.date:
        return f"'\"' || to_char({column}, 'YYYY-MM-DD') || '\"'"
    if python_type in (uuid.UUID, str, int):
        return f"to_json({column})::text"
    raise NotPlanable("a cursor key of another type")


def connection(
    compiler: Compiler,
    field_def: GraphQLField,
    node: FieldNode,
    type_name: str,
    ordering: Ordering,
    where: list[str],
    arguments: dict[str, Any],
) -> str:
    """The page ``arguments`` ask for of ``type_name``'s visible rows where ``where``
    (conditions over ``{t}``) holds, as the connection ``node`` selects it."""
    if arguments.get("last") is not None or arguments.get("before") is not None:
        raise NotPlanable("a backward page")
    size = arguments.get("first")
    size = DEFAULT_PAGE if size is None else size
    if not 0 <= size <= MAX_PAGE:
        raise NotPlanable("a page size the resolver refuses")
    item = compiler.schema.get_type(type_name)
    assert isinstance(item, GraphQLObjectType)
    table = table_of(item)
    row = compiler.alias()
    columns = [f"{row}.{column.key}" for column in ordering.columns]
    direction = " DESC" if ordering.descending else ""
    order = ", ".join(column + direction for column in columns)
    conditions = [table.visible.replace("{t}", row), *(w.replace("{t}", row) for w in where)]
    after = arguments.get("after")
    if after is not None:
        try:
            keys = decode_cursor(ordering, after, "after")
        except BadInput:
            raise NotPlanable("a cursor the resolver refuses") from None
        bound = ", ".join(
            compiler.param(value, _CASTS[column.type.python_type])
            for value, column in zip(keys, ordering.columns, strict=True)
        )
        comparison = "<" if ordering.descending else ">"
        conditions.append(f"({', '.join(columns)}) {comparison} ({bound})")
    pieces = [f"'[\"{ordering.name}\"'"] + [
        f"',' || {_json_text(column.type.python_type, name)}"
        for column, name in zip(ordering.columns, columns, strict=True)
    ]
    cursor = f"public.portal_cursor({' || '.join(pieces)} || ']')"
    page = _Page(compiler, item, row, cursor, size, after is not None)
    connection_type = object_type(field_def.type)
    parts = [
        f"'{key}', {page.field(connection_type, selected)}"
        for key, selected in compiler.fields(connection_type, node.selection_set)
    ]
    # _final: no row follows (lead looks one row ahead, past the LIMIT's end too)
    ranked = (
        f"SELECT {row}.*, row_number() OVER w AS _rank, (lead(true) OVER w) IS NULL AS _final"
        f" FROM public.{table.name} {row} WHERE {' AND '.join(conditions)}"
        f" WINDOW w AS (ORDER BY {order}) ORDER BY {order} LIMIT {size + 1}"
    )
    return f"(SELECT json_build_object({', '.join(parts)}) FROM ({ranked}) {row})"


class _Page:
    """The fields of one connection over the ranked rows ``row``."""

    def __init__(
        self,
        compiler: Compiler,
        item: GraphQLObjectType,
        row: str,
        cursor: str,
        size: int,
        after: bool,
    ) -> None:
        self.compiler, self.item, self.row, self.cursor = compiler, item, row, cursor
        self.size, self.after = size, after
        self.in_page = f"FILTER (WHERE {row}._rank <= {size})"

    def _list(self, value: str) -> str:
        return f"coalesce(json_agg({value} ORDER BY {self.row}._rank) {self.in_page}, '[]'::json)"

    def field(self, connection: GraphQLObjectType, selected: FieldNode) -> str:
        name = selected.name.value
        if name == "__typename":
            return f"'{connection.name}'"
        if name == "nodes":
            return self._list(
                self.compiler.object_json(self.item, selected.selection_set, self.row)
            )
        if name == "edges":
            return self._list(self._edge(object_type(connection.fields["edges"].type), selected))
        if name == "pageInfo":
            return self._page_info(object_type(connection.fields["pageInfo"].type), selected)
        raise NotPlanable("a connection field")

    def _edge(self, edge: GraphQLObjectType, node: FieldNode) -> str:
        parts = []
        for key, selected in self.compiler.fields(edge, node.selection_set):
            name = selected.name.value
            if name == "cursor":
                value = self.cursor
            elif name == "node":
                value = self.compiler.object_json(self.item, selected.selection_set, self.row)
            elif name == "__typename":
                value = f"'{edge.name}'"
            else:
                raise NotPlanable("an edge field")
            parts.append(f"'{key}', {value}")
        return f"json_build_object({', '.join(parts)})"

    def _page_info(self, page_info: GraphQLObjectType, node: FieldNode) -> str:
        # each the cursor of one row: the filter picks the row before the cursor is built
        row, size = self.row, self.size
        last = f"{row}._rank = {size} OR ({row}._final AND {row}._rank <= {size})"
        values = {
            "hasNextPage": f"count(*) > {self.size}",
            "hasPreviousPage": "true" if self.after else "false",
            "startCursor": f"max({self.cursor}) FILTER (WHERE {row}._rank = 1)",
            "endCursor": f"max({self.cursor}) FILTER (WHERE {last})",
            "__typename": f"'{page_info.name}'",
        }
        parts = [
            f"'{key}', {values[selected.name.value]}"
            for key, selected in self.compiler.fields(page_info, node.selection_set)
        ]
        return f"json_build_object({', '.join(parts)})"
