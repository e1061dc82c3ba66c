"""Reading the people of the principal's own organisation: the list and the getter.

Other organisations' people are never listed: partners see only the names of the people
who sit for a seat (``schema.committees.types.Representative``).
"""

from __future__ import annotations

import uuid

from sqlalchemy import Select, or_

from auth import policy
from auth.principal import Principal
from auth.scopes import Scope
from db.enums import UserRole, UserStatus
from db.models import User
from db.session import LockedSession
from portal.kernel.checks import escape_like
from portal.kernel.errors import BadInput
from portal.kernel.lookup import get_visible

SEARCH_MAX = 200


def list_people(
    principal: Principal,
    *,
    status: UserStatus | None = None,
    role: UserRole | None = None,
    search: str | None = None,
) -> Select[User]:
    """The people of the principal's organisation, narrowed by status, role and a search
    in names and e-mail addresses (case-insensitive substring); ``None`` does not narrow.

    A selection to page through (``schema.kernel.pagination.paginate`` orders it by
    display name, then id); ``session.scalars(...)`` reads it all. Reading needs
    ``alliances:read``: every member of the organisation may see who belongs to it."""
    policy.require_scope(principal, Scope.ALLIANCES_READ)
    query = policy.own_users(principal)
    if status is not None:
        query = query.where(User.status == status)
    if role is not None:
        query = query.where(User.role == role)
    if search is not None and search.strip():
        if len(search) > SEARCH_MAX:
            raise BadInput(f"a search has at most {SEARCH_MAX} characters", field="search")
        pattern = f"%{escape_like(search.strip())}%"
        query = query.where(
            or_(
                User.display_name.ilike(pattern),
                User.email.ilike(pattern),
            )
        )
    return query


async def get_person(
    session: LockedSession,
    principal: Principal,
    person_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> User:
    """A person of the principal's organisation, or ``NotFound`` on ``person`` (also for a
    person of another organisation: their existence is not revealed)."""
    return await get_visible(
        session,
        policy.own_users(principal),
        person_id,
        what="person",
        field="person",
        for_update=for_update,
    )
