"""Reading committees, and what every governance area shares: finding a committee and the
caller's seat on it, the alliance's procedural rules, the committee list and the seats'
order and representatives.

Domain functions that depend on time take ``now`` explicitly: the API passes the current
time, tests and the demo pass the moment they need.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Select, case

from auth import policy
from auth.principal import Principal
from auth.scopes import Scope
from db.enums import CommitteeTier, SeatRole
from db.governance import Committee, GovernanceRules, Seat, SeatRepresentative
from db.models import User
from db.session import LockedSession
from portal.kernel.errors import Forbidden, NotFound
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


SEAT_ORDER = (
    case(
        {SeatRole.CHAIR: 0, SeatRole.SECRETARY: 1, SeatRole.MEMBER: 2, SeatRole.OBSERVER: 3},
        value=Seat.role,
        else_=4,
    ),
    Seat.created_at,
    Seat.id,
)
"""Seats as a committee lists them: chair, secretary, members, observers; then seniority."""


def alliance_committees(
    principal: Principal,
    alliance_id: uuid.UUID,
    *,
    tiers: Sequence[CommitteeTier] | None = None,
    parent_id: uuid.UUID | None = None,
) -> Select[Committee]:
    """An alliance's committees the principal can see (all of them, for a current member;
    none otherwise), optionally of some tiers or under one parent."""
    require_read(principal)
    query = policy.alliance_records(principal, Committee).where(
        Committee.alliance_id == alliance_id
    )
    if tiers:
        query = query.where(Committee.tier.in_(tiers))
    if parent_id is not None:
        query = query.where(Committee.parent_id == parent_id)
    return query


async def get_governance_rules(
    session: LockedSession, principal: Principal, alliance_id: uuid.UUID
) -> GovernanceRules | None:
    """The alliance's procedural rules; ``None`` when the alliance is not visible."""
    require_read(principal)
    return await session.scalar(
        policy.alliance_records(principal, GovernanceRules).where(
            GovernanceRules.alliance_id == alliance_id
        )
    )


async def representatives_of(
    session: LockedSession, principal: Principal, seat_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[User]]:
    """The named representatives (users) of each seat, by display name, in one statement.

    Starts from the representatives of alliances the principal is active in; the users
    table's row-level security (migration 0003) shows fellow members' representatives, so
    the join hides nobody the policy lets the principal see.
    """
    statement = (
        policy.alliance_records(principal, SeatRepresentative)
        .join(User, User.id == SeatRepresentative.user_id)
        .add_columns(User)
        .where(SeatRepresentative.seat_id.in_(seat_ids))
        .order_by(User.display_name, User.id)
    )
    grouped: dict[uuid.UUID, list[User]] = defaultdict(list)
    for representative, user in (await session.execute(statement)).all():
        grouped[representative.seat_id].append(user)
    return grouped
