"""Reading alliances: the getter."""

from __future__ import annotations

import uuid

from auth import policy
from auth.principal import Principal
from auth.scopes import Scope
from db.models import Alliance
from db.session import LockedSession
from portal.kernel.lookup import get_visible


async def get_alliance(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    *,
    for_update: bool = False,
    field: str = "alliance",
) -> Alliance:
    """A visible alliance, or ``NotFound`` (also when it exists but is not visible)."""
    policy.require_scope(principal, Scope.ALLIANCES_READ)
    return await get_visible(
        session,
        policy.visible_alliances(principal),
        alliance_id,
        what="alliance",
        field=field,
        for_update=for_update,
    )
