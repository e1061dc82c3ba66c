"""Fetching one object through a policy selection: the getter every area shares."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import Select

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
        query = query.with_for_update()
    row = await session.scalar(query)
    if row is None:
        raise NotFound(f"no such {what}", field=field)
    return row
