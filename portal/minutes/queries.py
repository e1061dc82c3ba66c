"""Reading minutes: the getter."""

from __future__ import annotations

import uuid

from auth import policy
from auth.principal import Principal
from db.governance import Minutes
from db.session import LockedSession
from portal.kernel.lookup import get_visible


async def get_minutes(
    session: LockedSession,
    principal: Principal,
    minutes_id: uuid.UUID,
    *,
    field: str = "minutes",
) -> Minutes:
    """Minutes the principal may read, or ``NotFound`` (also when they exist out of view)."""
    return await get_visible(
        session, policy.visible_minutes(principal), minutes_id, what="minutes", field=field
    )
