"""Shared rules of every governance area: finding a committee and the caller's seat on it,
the alliance's procedural rules, and optimistic concurrency.

Domain functions that depend on time take ``now`` explicitly: the API passes the current
time, tests and the demo pass the moment they need.
"""

from __future__ import annotations

import uuid

from auth import policy
from auth.principal import Principal
from auth.scopes import Scope
from db.enums import SeatRole
from db.governance import Committee, GovernanceRules, Seat
from db.session import LockedSession
from portal.kernel.errors import Conflict, Forbidden, NotFound
from portal.kernel.lookup import get_visible


def require_read(principal: Principal) -> None:
    policy.require_scope(principal, Scope.GOVERNANCE_READ)


def require_write(principal: Principal) -> None:
    policy.require_scope(principal, Scope.GOVERNANCE_WRITE)


async def get_committee(
    session: LockedSession,
    principal: Principal,
    committee_id: uuid.UUID,
    *,
    field: str = "committee",
    for_update: bool = False,
) -> Committee:
    """A committee of an alliance the principal is active in, or ``NotFound``."""
    return await get_visible(
        session,
        policy.alliance_records(principal, Committee),
        committee_id,
        what="committee",
        field=field,
        for_update=for_update,
    )


async def own_seat(
    session: LockedSession, principal: Principal, committee_id: uuid.UUID
) -> Seat | None:
    """The principal's organisation's seat on the committee, if any."""
    return await session.scalar(policy.own_seat(principal, committee_id))


async def require_seat(
    session: LockedSession,
    principal: Principal,
    committee_id: uuid.UUID,
    *roles: SeatRole,
    action: str,
) -> Seat:
    """The principal's seat, which must have one of ``roles``; otherwise ``Forbidden``
    (the committee itself is visible to every member, so refusing does not reveal it)."""
    seat = await own_seat(session, principal, committee_id)
    if not policy.holds(principal, seat, *roles):
        names = " or ".join(role.value for role in roles)
        raise Forbidden(f"only the committee's {names} may {action}")
    assert seat is not None
    return seat


async def get_rules(
    session: LockedSession, principal: Principal, alliance_id: uuid.UUID
) -> GovernanceRules:
    rules = await session.scalar(
        policy.alliance_records(principal, GovernanceRules).where(
            GovernanceRules.alliance_id == alliance_id
        )
    )
    if rules is None:
        raise NotFound("no such alliance", field="alliance")
    return rules


def check_version(current: int, expected: int, what: str) -> None:
    """Optimistic concurrency: refuse an edit based on a version that is no longer current."""
    if current != expected:
        raise Conflict(
            f"the {what} changed since version {expected}; it is now at version {current}",
            field="version",
        )
