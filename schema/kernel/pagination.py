"""Keyset (cursor) pagination for Relay connections.

A cursor encodes the ordering's name and the sort-key values of a row, so the next page is
``WHERE (keys) > (cursor)`` on an index rather than an OFFSET that slows down and skips or
repeats rows as data changes. Nested connections are paginated for many parents in one
statement with a window function, so a list of alliances with their members costs two
statements whatever its length.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import inspect
import json
import typing
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Generic, TypeVar

import strawberry
from sqlalchemy import ColumnElement, Select, func, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, aliased

from db.session import LockedSession
from portal.kernel.errors import BadInput

MAX_PAGE = 100
DEFAULT_PAGE = 20

Row = TypeVar("Row")
NodeT = TypeVar("NodeT")


@dataclass(frozen=True, slots=True)
class Ordering:
    """A named sort order over columns that end with a unique key (all one direction)."""

    name: str
    columns: tuple[InstrumentedAttribute[Any], ...]
    descending: bool = False


@dataclass(frozen=True, slots=True)
class PageRequest:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    def size(self) -> int:
        if self.first is not None and self.last is not None:
            raise BadInput("give either first or last, not both", field="first")
        size = self.first if self.first is not None else self.last
        if size is None:
            return DEFAULT_PAGE
        if not 0 <= size <= MAX_PAGE:
            raise BadInput(f"a page holds 0 to {MAX_PAGE} items", field="first")
        return size

    @property
    def backwards(self) -> bool:
        return self.last is not None or (self.before is not None and self.first is None)


@strawberry.type(description="Where a page sits in its list (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item.")


@strawberry.type(description="An item of a list and its cursor.")
class Edge(Generic[NodeT]):
    node: NodeT = strawberry.field(description="The item.")
    cursor: str = strawberry.field(description="Pass as after/before to page from here.")


@strawberry.type(description="A page of a list, with keyset cursors (Relay connection).")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items with their cursors.")
    page_info: PageInfo = strawberry.field(description="Whether more items exist.")

    @strawberry.field(description="The items without their cursors.")
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


def _encode_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID | dt.datetime | dt.date):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def encode_cursor(ordering: Ordering, row: Any) -> str:
    values = [_encode_value(getattr(row, column.key)) for column in ordering.columns]
    # UTF-8 as it is (not \u escapes): PostgreSQL writes the same bytes for the compiled
    # read path's cursors (schema.planner.connections)
    text = json.dumps([ordering.name, *values], separators=(",", ":"), ensure_ascii=False)
    raw = text.encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_value(column: InstrumentedAttribute[Any], value: Any) -> Any:
    python_type = column.type.python_type
    if python_type is uuid.UUID:
        return uuid.UUID(value)
    if python_type is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if python_type is dt.date:
        return dt.date.fromisoformat(value)
    if not isinstance(value, python_type | type(None)):
        raise ValueError("cursor value of the wrong type")
    return value


def decode_cursor(ordering: Ordering, cursor: str, field: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, *values = json.loads(base64.urlsafe_b64decode(padded))
        if name != ordering.name or len(values) != len(ordering.columns):
            raise ValueError("cursor of another ordering")
        return [_decode_value(c, v) for c, v in zip(ordering.columns, values, strict=True)]
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise BadInput("not a cursor of this list and ordering", field=field) from None


def _keyset(ordering: Ordering, page: PageRequest) -> tuple[list[ColumnElement[bool]], bool]:
    """WHERE clauses for the cursors, and whether rows are read in reverse order."""
    keys = tuple_(*ordering.columns)
    clauses = []
    if page.after is not None:
        after = tuple_(*decode_cursor(ordering, page.after, "after"))
        clauses.append(keys < after if ordering.descending else keys > after)
    if page.before is not None:
        before = tuple_(*decode_cursor(ordering, page.before, "before"))
        clauses.append(keys > before if ordering.descending else keys < before)
    return clauses, page.backwards


def _order_by(ordering: Ordering, reverse: bool) -> list[ColumnElement[Any]]:
    descending = ordering.descending != reverse
    return [column.desc() if descending else column.asc() for column in ordering.columns]


def _page(
    rows: Sequence[Row], size: int, reverse: bool, page: PageRequest
) -> tuple[list[Row], bool, bool]:
    more = len(rows) > size
    rows = list(rows[:size])
    if reverse:
        rows.reverse()
        return rows, page.before is not None, more
    return rows, more, page.after is not None


def page_of(rows: Sequence[Row], size: int, page: PageRequest) -> tuple[list[Row], bool, bool]:
    """The page among ``rows`` (read one past ``size``, in the order the page is read:
    backwards for a backward page), in list order, and whether items follow and precede
    it: for orderings over expressions, whose queries their lists build themselves."""
    return _page(rows, size, page.backwards, page)


def connection_of(
    edges: list[Edge[NodeT]], has_next: bool, has_previous: bool
) -> Connection[NodeT]:
    """A connection of ``edges`` (cursors already made), with its page info."""
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


def _connection(
    rows: list[Row],
    ordering: Ordering,
    to_node: Callable[[Row], NodeT],
    has_next: bool,
    has_previous: bool,
) -> Connection[NodeT]:
    edges = [Edge(node=to_node(row), cursor=encode_cursor(ordering, row)) for row in rows]
    return connection_of(edges, has_next, has_previous)


def empty_connection() -> Connection[Any]:
    """The page of a list that cannot hold anything, e.g. one filtered by an ID of another
    type."""
    return Connection(
        edges=[],
        page_info=PageInfo(
            has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None
        ),
    )


async def paginate(
    session: LockedSession,
    query: Select[Row],
    ordering: Ordering,
    page: PageRequest,
    to_node: Callable[[Row], NodeT],
) -> Connection[NodeT]:
    """One page of ``query`` (already scoped by the policy) as a connection."""
    size = page.size()
    clauses, reverse = _keyset(ordering, page)
    statement = query.where(*clauses).order_by(*_order_by(ordering, reverse)).limit(size + 1)
    rows: Sequence[Row] = (await session.scalars(statement)).all()
    found, has_next, has_previous = _page(rows, size, reverse, page)
    return _connection(found, ordering, to_node, has_next, has_previous)


async def paginate_many(
    session: LockedSession,
    query: Select[Row],
    parent_column: InstrumentedAttribute[uuid.UUID],
    parent_ids: Sequence[uuid.UUID],
    ordering: Ordering,
    page: PageRequest,
) -> dict[uuid.UUID, tuple[list[Row], bool, bool]]:
    """The same page of a nested list for many parents, in one statement."""
    size = page.size()
    clauses, reverse = _keyset(ordering, page)
    entity = query.column_descriptions[0]["entity"]
    rank = (
        func.row_number()
        .over(partition_by=parent_column, order_by=_order_by(ordering, reverse))
        .label("rank")
    )
    inner = query.add_columns(rank).where(parent_column.in_(parent_ids), *clauses).subquery()
    ranked = aliased(entity, inner)
    statement = (
        select(ranked)
        .where(inner.c.rank <= size + 1)
        .order_by(getattr(ranked, parent_column.key), inner.c.rank)
    )
    grouped: dict[uuid.UUID, list[Row]] = defaultdict(list)
    for row in (await session.scalars(statement)).all():
        grouped[getattr(row, parent_column.key)].append(row)
    return {parent: _page(grouped.get(parent, []), size, reverse, page) for parent in parent_ids}


def connection_from(
    result: tuple[list[Row], bool, bool], ordering: Ordering, to_node: Callable[[Row], NodeT]
) -> Connection[NodeT]:
    rows, has_next, has_previous = result
    return _connection(rows, ordering, to_node, has_next, has_previous)


__all__ = [
    "MAX_PAGE",
    "Connection",
    "Edge",
    "ForwardPageArgs",
    "Ordering",
    "PageArgs",
    "PageInfo",
    "PageRequest",
    "connection_from",
    "connection_of",
    "empty_connection",
    "page_of",
    "paged",
    "paginate",
    "paginate_many",
]


class PageArgs(PageRequest):
    """Relay's connection arguments as one parameter: a parameter ``page: PageArgs`` (or
    ``ForwardPageArgs``) of a resolver decorated with ``@paged`` becomes ``first, after,
    last, before`` (or ``first, after``) in the schema, at the same place, and reaches the
    resolver as one page request."""

    names: ClassVar[tuple[str, ...]] = ("first", "after", "last", "before")


class ForwardPageArgs(PageArgs):
    """Connection arguments of a list that pages forwards only: ``first, after``."""

    names = ("first", "after")


_PAGE_ARGUMENTS: dict[str, Any] = {
    "first": Annotated[int | None, strawberry.argument(description="Page size (max 100).")],
    "after": Annotated[str | None, strawberry.argument(description="Cursor to start after.")],
    "last": Annotated[int | None, strawberry.argument(description="Page size from the end.")],
    "before": Annotated[str | None, strawberry.argument(description="Cursor to end before.")],
}

Resolver = TypeVar("Resolver", bound=Callable[..., Awaitable[Any]])


def paged(resolver: Resolver) -> Resolver:
    """Give ``resolver`` the connection arguments in place of its ``PageArgs`` parameter
    (see ``PageArgs``). The resolver checks the page (``page.size()``) where it reads it, so
    an invalid ID argument is reported before an invalid page size, as everywhere."""
    hints = typing.get_type_hints(resolver, include_extras=True)
    signature = inspect.signature(resolver)
    marker = next(
        name
        for name, hint in hints.items()
        if isinstance(hint, type) and issubclass(hint, PageArgs)
    )
    page_type: type[PageArgs] = hints[marker]
    names = page_type.names
    parameters: list[inspect.Parameter] = []
    after_page = False
    for parameter in signature.parameters.values():
        if parameter.name == marker:
            after_page = True
            parameters += [
                inspect.Parameter(
                    name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=None,
                    annotation=_PAGE_ARGUMENTS[name],
                )
                for name in names
            ]
        else:
            # what follows keyword-only page arguments must be keyword-only too
            kind = inspect.Parameter.KEYWORD_ONLY if after_page else parameter.kind
            annotation = hints.get(parameter.name, parameter.annotation)  # `self` has none
            parameters.append(parameter.replace(kind=kind, annotation=annotation))

    @functools.wraps(resolver)
    async def with_page(*args: Any, **kwargs: Any) -> Any:
        page = page_type(**{name: kwargs.pop(name, None) for name in names})
        return await resolver(*args, **kwargs, **{marker: page})

    with_page.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=hints["return"]
    )
    with_page.__annotations__ = {
        p.name: p.annotation for p in parameters if p.annotation is not inspect.Parameter.empty
    } | {"return": hints["return"]}
    return typing.cast(Resolver, with_page)
