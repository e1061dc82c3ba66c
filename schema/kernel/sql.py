"""What the compiled read path (``schema.planner``) needs to know of a type and its fields,
declared next to them: the table a type reads, who may see its rows, and for each field
the SQL that produces its JSON value.

A field says so with ``metadata=sql.column(...)`` (or ``to_one``, ``to_many``)
on its ``strawberry.field``; a type with ``sql_table = sql.Table(...)``. A field without a
declaration is simply not planable: an operation selecting it runs through the resolvers.
SQL templates name the row's table alias ``{t}``; in a relation, ``{p}`` is the parent row
and ``{c}`` the child. A node type's ``id`` needs no declaration: it is the Relay ID of the
row's ``id``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from auth.scopes import Scope
from db import rls
from db.rls import visible_to_audience

__all__ = ["visible_to_audience"]  # an object's visibility as its RLS policy says it

KEY = "portal.sql"
"""The key of a field's declaration in its strawberry ``metadata``."""

Kind = Literal["text", "int", "bool", "datetime", "date", "decimal"]

ME = rls.CURRENT_ORGANISATION
MEMBER_ALLIANCES = rls.MEMBER_ALLIANCES
STEERING_ALLIANCES = "((SELECT public.portal_steering_alliances())::uuid[])"


@dataclass(frozen=True, slots=True)
class Table:
    """The table a type's rows come from, and the SQL condition (over ``{t}``) under which
    the principal may see a row: the same rule as the type's ``auth.policy`` selection,
    which row-level security enforces again underneath."""

    name: str
    visible: str


def alliance_records(name: str) -> Table:
    """A table of alliance-wide records, which every current member sees (the rule of
    ``policy.alliance_records``)."""
    return Table(name, f"{{t}}.alliance_id = ANY {MEMBER_ALLIANCES}")


@dataclass(frozen=True, slots=True)
class Column:
    """A value computed from the row: ``sql`` over ``{t}``, written as JSON of ``kind``."""

    sql: str
    kind: Kind = "text"
    enum: type[enum.Enum] | None = None


@dataclass(frozen=True, slots=True)
class ToOne:
    """One row of ``type_name``'s table where ``on`` (over ``{p}`` and ``{c}``) holds, or
    null; with ``table`` the child rows come from there instead of the type's own table."""

    type_name: str
    on: str
    table: Table | None = None


@dataclass(frozen=True, slots=True)
class ToMany:
    """The rows of ``type_name``'s table where ``on`` holds, ordered by ``order`` (over
    ``{c}``), as a list."""

    type_name: str
    on: str
    order: str


Declaration = Column | ToOne | ToMany


@dataclass(frozen=True, slots=True)
class Planned:
    """A field's declaration and the scope without which its resolver answers otherwise
    (an error or an empty value): the planner leaves such operations to the resolvers."""

    declaration: Declaration
    scope: Scope | None = None


def column(
    sql: str, kind: Kind = "text", *, enum: type[enum.Enum] | None = None
) -> Mapping[str, Any]:
    """A field that is a column (or expression) of its row."""
    return {KEY: Planned(Column(sql, kind, enum))}


def to_one(
    type_name: str, on: str, *, scope: Scope | None = None, table: Table | None = None
) -> Mapping[str, Any]:
    """A field that is one related row."""
    return {KEY: Planned(ToOne(type_name, on, table), scope)}


def to_many(
    type_name: str, on: str, order: str, *, scope: Scope | None = None
) -> Mapping[str, Any]:
    """A field that is the list of related rows."""
    return {KEY: Planned(ToMany(type_name, on, order), scope)}


def enum_sql(value_sql: str, values: type[enum.Enum]) -> str:
    """The GraphQL name of a stored enum value, as strawberry writes it."""
    cases = " ".join(f"WHEN '{member.value}' THEN '{member.name}'" for member in values)
    return f"(CASE {value_sql} {cases} END)"
