"""Reading decisions: the getter, the committee's voting seats, the votes, the decision that
approved an object."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from auth import policy
from auth.principal import Principal
from db.enums import (
    DecisionOutcome,
    DecisionStatus,
)
from db.governance import Decision, Seat, Vote
from db.session import LockedSession
from portal.kernel.lookup import get_visible


async def get_decision(
    session: LockedSession,
    principal: Principal,
    decision_id: uuid.UUID,
    *,
    field: str = "decision",
    for_update: bool = False,
) -> Decision:
    """A decision of an alliance the principal is active in, or ``NotFound``."""
    return await get_visible(
        session,
        policy.alliance_records(principal, Decision),
        decision_id,
        what="decision",
        field=field,
        for_update=for_update,
    )


async def count_voting_seats(
    session: LockedSession, principal: Principal, committee_id: uuid.UUID
) -> int:
    """How many voting seats (``policy.is_voting_seat``) the committee has now."""
    seats = policy.alliance_records(principal, Seat).where(
        Seat.committee_id == committee_id,
        Seat.voting.is_(True),
        Seat.role.in_(policy.VOTERS),
    )
    return int(await session.scalar(select(func.count()).select_from(seats.subquery())) or 0)


async def votes_of(
    session: LockedSession, principal: Principal, decision_id: uuid.UUID
) -> list[Vote]:
    """The votes on a decision in the order they were cast."""
    query = (
        policy.alliance_records(principal, Vote)
        .where(Vote.decision_id == decision_id)
        .order_by(Vote.cast_at, Vote.id)
    )
    return list((await session.scalars(query)).all())


async def approving_decision(
    session: LockedSession,
    principal: Principal,
    subject_type: str,
    subject_id: uuid.UUID,
) -> Decision | None:
    """The latest closed decision that APPROVED the object ``subject_type``/``subject_id``
    (a GraphQL type name and the object's uuid), among those the principal can see; None if
    there is none.

    It checks no scope (the calling domain function does) and, since a subject is only a
    reference, the caller should check that the decision's ``alliance_id`` is the
    subject's alliance.
    """
    query = (
        policy.alliance_records(principal, Decision)
        .where(
            Decision.subject_type == subject_type,
            Decision.subject_id == subject_id,
            Decision.status == DecisionStatus.CLOSED,
            Decision.outcome == DecisionOutcome.APPROVED,
        )
        .order_by(Decision.closed_at.desc(), Decision.created_at.desc(), Decision.id.desc())
        .limit(1)
    )
    return await session.scalar(query)
