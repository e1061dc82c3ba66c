"""The shapes of the areas' DataLoaders. Every loader starts from a ``visible_*``
selection of ``auth.policy``, so batching never widens what a principal sees, and nested
fields cost one statement per level whatever the length of the lists above them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, tuple_
from strawberry.dataloader import DataLoader

from auth import policy
from auth.principal import Principal
from db.governance import VisibilityGrant
from db.session import LockedSession


def by_id_loader(session: LockedSession, query: Select[Any]) -> DataLoader[uuid.UUID, Any]:
    """Rows of ``query`` (a policy selection) by primary key; None for those not visible."""
    entity: Any = query.column_descriptions[0]["entity"]

    async def load(ids: Sequence[uuid.UUID]) -> list[Any]:
        rows = (await session.scalars(query.where(entity.id.in_(ids)))).all()
        found = {row.id: row for row in rows}
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


def grouped_loader(
    session: LockedSession,
    query: Select[Any],
    parent_column: Any,
    *order_by: Any,
    prime: DataLoader[uuid.UUID, Any] | None = None,
) -> DataLoader[uuid.UUID, list[Any]]:
    """All rows of ``query`` (a policy selection) per parent id, in ``order_by`` order.
    With ``prime``, each row found also primes that by-id loader of the same rows, so a
    field asking for one of them later costs no statement."""

    async def load(parent_ids: Sequence[uuid.UUID]) -> list[list[Any]]:
        statement = query.where(parent_column.in_(parent_ids)).order_by(*order_by)
        grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for row in (await session.scalars(statement)).all():
            grouped[getattr(row, parent_column.key)].append(row)
            if prime is not None:
                prime.prime(row.id, row)
        return [grouped.get(parent, []) for parent in parent_ids]

    return DataLoader(load_fn=load)


def audience_loader(
    session: LockedSession, principal: Principal, visible: Select[Any]
) -> DataLoader[uuid.UUID, list[VisibilityGrant]]:
    """Per object of ``visible`` (a policy selection of an area's objects), the grants of
    its ORGANISATIONS audience, by organisation. Grants of an object outside the
    principal's view are never read."""
    entity: Any = visible.column_descriptions[0]["entity"]
    return grouped_loader(
        session,
        policy.alliance_records(principal, VisibilityGrant).where(
            VisibilityGrant.object_id.in_(visible.with_only_columns(entity.id))
        ),
        VisibilityGrant.object_id,
        VisibilityGrant.organisation_id,
    )


def by_columns_loader(
    session: LockedSession, query: Select[Any], *columns: Any
) -> DataLoader[tuple[Any, ...], Any]:
    """Rows of ``query`` (a policy selection) by the values of ``columns`` (a natural key
    such as a plan and its version number); None for those not visible."""

    async def load(keys: Sequence[tuple[Any, ...]]) -> list[Any]:
        # The leading column alone as well: PostgreSQL 18 may otherwise walk the whole
        # natural-key index with the row comparison as a filter instead of a search.
        leading = columns[0].in_(sorted({key[0] for key in keys}, key=str))
        selected = query.where(leading, tuple_(*columns).in_(list(keys)))
        rows = (await session.scalars(selected)).all()
        found = {tuple(getattr(row, column.key) for column in columns): row for row in rows}
        return [found.get(tuple(key)) for key in keys]

    return DataLoader(load_fn=load)
