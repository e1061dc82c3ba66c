"""Decisions of committees and the votes on them: the domain rules.

A committee decides in a meeting or by written procedure (a vote by correspondence with a
deadline). Each organisation holding a voting seat on the committee casts at most one vote;
when the chair closes the decision its outcome is computed from the votes by the
committee's rules (quorum, simple or qualified majority, veto) with ``compute_outcome``, a
pure function.

Who may do what:
- the committee's chair records decisions and closes them;
- an organisation whose seat on the committee is a voting seat (any role but observer, with
  ``voting`` set) casts its vote, once: a vote cannot be changed or withdrawn;
- every current member organisation of the alliance reads decisions and votes.
All of them need a credential with ``governance:write`` to act (``governance:read`` to read).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from auth import policy
from auth.principal import Principal
from db.enums import (
    DecisionOutcome,
    DecisionProcedure,
    DecisionStatus,
    MeetingStatus,
    VoteChoice,
)
from db.governance import Committee, Decision, Meeting, Vote
from db.session import LockedSession
from portal import plans
from portal.committees.queries import get_committee, own_seat, require_seat, require_write
from portal.decisions.queries import approving_decision, count_voting_seats, get_decision, votes_of
from portal.decisions.rules import (
    Ballot,
    Result,
    compute_outcome,
    majority_for,
    quorum_reached,
)
from portal.kernel.errors import BadInput, Conflict, Forbidden, NotFound

log = logging.getLogger("portal.decisions")


TEXT_MAX = 20_000


# --- changing ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subject:
    """The object a decision is about: its GraphQL type name and uuid; ``alliance_id`` when
    the caller knows the subject's alliance (it must then be the committee's)."""

    type_name: str
    object_id: uuid.UUID
    alliance_id: uuid.UUID | None = None


SubjectLookup = Callable[[], Awaitable[Subject]]
"""Finds a subject (``NotFound`` with ``field="subject"`` when it is not visible)."""


async def _meeting_of(
    session: LockedSession,
    principal: Principal,
    committee: Committee,
    meeting_id: uuid.UUID,
) -> Meeting:
    meeting: Meeting | None = await session.scalar(
        policy.alliance_records(principal, Meeting).where(Meeting.id == meeting_id)
    )
    if meeting is None:
        raise NotFound("no such meeting", field="meeting")
    if meeting.committee_id != committee.id:
        raise BadInput("the meeting is one of another committee", field="meeting")
    if meeting.status is MeetingStatus.CANCELLED:
        raise BadInput("the meeting was cancelled", field="meeting")
    return meeting


async def record_decision(
    session: LockedSession,
    principal: Principal,
    committee_id: uuid.UUID,
    *,
    text: str,
    procedure: DecisionProcedure,
    meeting_id: uuid.UUID | None = None,
    closes_at: dt.datetime | None = None,
    subject: Subject | SubjectLookup | None = None,
    now: dt.datetime,
) -> Decision:
    """Put a proposal to the committee's vote. The committee's chair only.

    In a MEETING (``meeting_id``: a meeting of this committee that is not cancelled) or by
    WRITTEN procedure (``closes_at``: the voting deadline, in the future). The decision is
    OPEN until the chair closes it. ``subject`` may be given as a lookup, called only after
    the permission checks, so that a refused caller learns nothing about the object.
    """
    require_write(principal)
    committee = await get_committee(session, principal, committee_id)
    await require_seat(
        session, principal, committee.id, *policy.APPROVERS, action="record decisions"
    )
    text = text.strip()
    if not 0 < len(text) <= TEXT_MAX:
        raise BadInput(f"the text must have 1 to {TEXT_MAX} characters", field="text")
    if procedure is DecisionProcedure.MEETING:
        if meeting_id is None:
            raise BadInput("a decision in a meeting names the meeting", field="meeting")
        if closes_at is not None:
            raise BadInput("only a written procedure has a deadline", field="closesAt")
        await _meeting_of(session, principal, committee, meeting_id)
    else:
        if meeting_id is not None:
            raise BadInput("a written procedure is not held in a meeting", field="meeting")
        if closes_at is None:
            raise BadInput("a written procedure needs a deadline", field="closesAt")
        if closes_at.tzinfo is None or closes_at.utcoffset() is None:
            raise BadInput("give the deadline with its UTC offset", field="closesAt")
        if closes_at <= now:
            raise BadInput("the deadline must be in the future", field="closesAt")
    if subject is not None and not isinstance(subject, Subject):
        subject = await subject()
    if subject is not None and subject.alliance_id not in (None, committee.alliance_id):
        raise BadInput("the subject belongs to another alliance", field="subject")
    if subject is not None and subject.type_name == plans.SUBJECT_TYPE:
        # only the current version of a proposed plan can be put to the vote
        await plans.check_plan_version_decidable(session, principal, subject.object_id)
    decision = Decision(
        id=uuid.uuid4(),
        alliance_id=committee.alliance_id,
        committee_id=committee.id,
        meeting_id=meeting_id,
        procedure=procedure,
        text=text,
        status=DecisionStatus.OPEN,
        subject_type=subject.type_name if subject else None,
        subject_id=subject.object_id if subject else None,
        closes_at=closes_at,
        created_at=now,
    )
    session.add(decision)
    await session.flush()
    return decision


def _tally(decision: Decision, choice: VoteChoice) -> None:
    if choice is VoteChoice.FOR:
        decision.votes_for += 1
    elif choice is VoteChoice.AGAINST:
        decision.votes_against += 1
    else:
        decision.votes_abstain += 1


async def cast_vote(
    session: LockedSession,
    principal: Principal,
    decision_id: uuid.UUID,
    *,
    choice: VoteChoice,
    veto: bool = False,
    now: dt.datetime,
) -> Vote:
    """Cast the principal's organisation's vote on an open decision.

    Only through a voting seat on the decision's committee (FORBIDDEN otherwise); one vote
    per organisation, final once cast (a second vote is a CONFLICT); not after the decision
    was closed nor, in a written procedure, after its deadline (CONFLICT). A veto is a vote
    AGAINST on a committee whose rules allow vetoes (BAD_USER_INPUT otherwise).
    """
    require_write(principal)
    # The row lock serialises the votes on a decision with each other and with its closing.
    decision = await get_decision(session, principal, decision_id, for_update=True)
    committee = await get_committee(session, principal, decision.committee_id)
    seat = await own_seat(session, principal, committee.id)
    if seat is None or not policy.may_vote(principal, seat):
        raise Forbidden("only organisations holding a voting seat on the committee may vote")
    if veto and not committee.veto_allowed:
        raise BadInput("the committee's rules allow no veto", field="veto")
    if veto and choice is not VoteChoice.AGAINST:
        raise BadInput("a veto is a vote against", field="veto")
    if decision.status is not DecisionStatus.OPEN:
        raise Conflict("the decision is closed", field="decision")
    if decision.closes_at is not None and now >= decision.closes_at:
        raise Conflict("the written procedure's deadline has passed", field="decision")
    already = await session.scalar(
        policy.alliance_records(principal, Vote).where(
            Vote.decision_id == decision.id, Vote.organisation_id == principal.organisation_id
        )
    )
    if already is not None:
        raise Conflict("your organisation has already voted; a vote is final", field="decision")
    vote = Vote(
        id=uuid.uuid4(),
        alliance_id=decision.alliance_id,
        decision_id=decision.id,
        seat_id=seat.id,
        organisation_id=principal.organisation_id,
        choice=choice,
        veto=veto,
        user_id=principal.user_id,
        cast_at=now,
    )
    session.add(vote)
    _tally(decision, choice)
    await session.flush()
    return vote


async def close_decision(
    session: LockedSession,
    principal: Principal,
    decision_id: uuid.UUID,
    *,
    now: dt.datetime,
) -> Decision:
    """Close an open decision and store its outcome (``compute_outcome``). The committee's
    chair only.

    A decision in a meeting closes when the chair says so. A written procedure closes at
    its deadline (by itself, through ``close_due_written_decisions``); before it only once
    every voting seat has voted (CONFLICT otherwise). Votes count as they were cast; the
    quorum is taken of the voting seats the committee has when the decision closes.
    """
    require_write(principal)
    decision = await get_decision(session, principal, decision_id, for_update=True)
    committee = await get_committee(session, principal, decision.committee_id)
    await require_seat(
        session, principal, committee.id, *policy.APPROVERS, action="close decisions"
    )
    if decision.status is not DecisionStatus.OPEN:
        raise Conflict("the decision is already closed", field="decision")
    return await close_locked(session, principal, decision, committee, now=now)


async def close_locked(
    session: LockedSession,
    principal: Principal,
    decision: Decision,
    committee: Committee,
    *,
    now: dt.datetime,
) -> Decision:
    voting_seats = await count_voting_seats(session, principal, committee.id)
    votes = await votes_of(session, principal, decision.id)
    if decision.closes_at is not None and now < decision.closes_at and len(votes) < voting_seats:
        raise Conflict(
            f"the written procedure runs until {decision.closes_at.isoformat()}; "
            f"{len(votes)} of {voting_seats} voting seats have voted",
            field="decision",
        )
    result = compute_outcome(
        [Ballot(vote.organisation_id, vote.choice, vote.veto) for vote in votes],
        voting_seats=voting_seats,
        quorum=committee.quorum,
        majority=committee.majority,
        veto_allowed=committee.veto_allowed,
    )
    decision.status = DecisionStatus.CLOSED
    decision.outcome = result.outcome
    decision.quorum_met = result.quorum_met
    decision.votes_for = result.votes_for
    decision.votes_against = result.votes_against
    decision.votes_abstain = result.votes_abstain
    decision.vetoed_by_organisation_id = result.vetoed_by
    decision.closed_at = now
    await session.flush()
    if decision.subject_type == plans.SUBJECT_TYPE and decision.outcome is DecisionOutcome.APPROVED:
        # a plan revised since the vote cannot be approved by it: the close is refused and
        # the chair puts the current version to a new vote
        await plans.approve_by_decision(session, principal, decision)
    return decision


__all__ = [
    "Ballot",
    "Result",
    "Subject",
    "SubjectLookup",
    "approving_decision",
    "cast_vote",
    "close_decision",
    "compute_outcome",
    "count_voting_seats",
    "get_decision",
    "majority_for",
    "quorum_reached",
    "record_decision",
    "votes_of",
]
