"""Reading decisions: the getter, the committee's voting seats, the votes, the decision that
approved an object, and which decisions await the principal's organisation's vote."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

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


VOTING_SEAT: ColumnElement[bool] = and_(Seat.voting.is_(True), Seat.role.in_(policy.VOTERS))
"""``policy.is_voting_seat`` as SQL: a seat flagged ``voting`` of a voting role (the role
list is the policy's). tests/decisions/test_pending_votes.py checks the two agree."""


async def count_voting_seats(
    session: LockedSession, principal: Principal, committee_id: uuid.UUID
) -> int:
    """How many voting seats (``policy.is_voting_seat``) the committee has now."""
    seats = policy.alliance_records(principal, Seat).where(
        Seat.committee_id == committee_id, VOTING_SEAT
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


def own_voting_committee_ids(principal: Principal) -> Select[uuid.UUID]:
    """Committees on which the principal's organisation holds a voting seat now, in the
    alliances it is a current member of."""
    return policy.seated_committee_ids(principal).where(VOTING_SEAT)


def accepting_votes(now: dt.datetime) -> ColumnElement[bool]:
    """A decision that takes votes at ``now``, as ``cast_vote`` decides it: OPEN and, in a
    written procedure, before its deadline (a vote at the deadline is refused)."""
    return and_(
        Decision.status == DecisionStatus.OPEN,
        or_(Decision.closes_at.is_(None), Decision.closes_at > now),
    )


def awaiting_vote(principal: Principal, now: dt.datetime) -> ColumnElement[bool]:
    """A decision (of ``policy.alliance_records``) that awaits the vote of the principal's
    organisation: it takes votes now, the organisation holds a voting seat on its committee
    (``policy.is_voting_seat``) and has not voted on it. Exactly the decisions on which
    ``cast_vote`` would accept the organisation's vote from a credential with
    ``governance:write``; which credential reads the list does not change it, so a
    read-only dashboard shows the same votes as the one that casts them.

    A condition on ``Decision`` rows: one statement lists them whatever their number, with
    the seats and the organisation's votes as correlated subqueries."""
    already_voted = policy.alliance_records(principal, Vote).where(
        Vote.decision_id == Decision.id,
        Vote.organisation_id == principal.organisation_id,
    )
    return and_(
        accepting_votes(now),
        Decision.committee_id.in_(own_voting_committee_ids(principal)),
        ~already_voted.exists(),
    )
