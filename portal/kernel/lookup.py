"""Fetching one object through a policy selection: the getter every area shares."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import Select

from auth import policy
from auth.principal import Principal
from db.session import LockedSession
from portal.kernel.errors import NotFound

Row = TypeVar("Row")


async def get_visible(
    session: LockedSession,
    query: Select[Row],
    object_id: uuid.UUID,
    *,
    what: str,
    field: str,
    for_update: bool = False,
) -> Row:
    """The row of ``query`` (a ``visible_*`` selection of ``auth.policy``) with id
    ``object_id``, locked for update if asked; ``NotFound("no such <what>")`` when the
    principal cannot see it, exactly as when it does not exist."""
    entity: Any = query.column_descriptions[0]["entity"]
    query = query.where(entity.id == object_id)
    if for_update:
        # a locking read must see the row as it is now, not as this session first loaded it
        query = query.with_for_update().execution_options(populate_existing=True)
    row = await session.scalar(query)
    if row is None:
        raise NotFound(f"no such {what}", field=field)
    return row


async def require_member(
    session: LockedSession, principal: Principal, alliance_id: uuid.UUID
) -> None:
    """The principal's organisation is a current member of the alliance; otherwise
    ``NotFound("no such alliance")``, so a non-member learns nothing of its existence."""
    if await session.scalar(policy.own_membership(principal, alliance_id)) is None:
        raise NotFound("no such alliance", field="alliance")
