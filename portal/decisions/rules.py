"""The outcome of a decision, a pure function of its ballots and the committee's rules:
quorum, majority, veto."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from db.enums import (
    DecisionOutcome,
    MajorityRule,
    VoteChoice,
)

QUORUM_DECIMALS = 3
"""The precision ``committees.quorum`` is stored with (NUMERIC(4,3))."""
QUALIFIED_SHARE = Fraction(2, 3)
"""The share of the votes cast that a QUALIFIED majority needs."""


@dataclass(frozen=True, slots=True)
class Ballot:
    """One organisation's vote, as the outcome computation sees it."""

    organisation_id: uuid.UUID
    choice: VoteChoice
    veto: bool = False


@dataclass(frozen=True, slots=True)
class Result:
    """The computed outcome of a decision and the tally it was computed from."""

    outcome: DecisionOutcome
    quorum_met: bool
    votes_for: int
    votes_against: int
    votes_abstain: int
    vetoed_by: uuid.UUID | None


def quorum_reached(cast: int, voting_seats: int, quorum: Decimal | Fraction) -> bool:
    """Whether ``cast`` votes out of ``voting_seats`` reach the committee's ``quorum`` share.

    The share of votes cast is rounded (half up) to the precision the quorum is stored with,
    three decimals, before it is compared: the default quorum 0.667 thus means two thirds
    (2 of 3 seats is 0.667 and reaches it; 0.666... would not otherwise). A committee
    without voting seats never has a quorum.
    """
    if voting_seats <= 0:
        return False
    scale = 10**QUORUM_DECIMALS
    share = Fraction(math.floor(Fraction(cast * scale, voting_seats) + Fraction(1, 2)), scale)
    return share >= Fraction(quorum)


def majority_for(votes_for: int, votes_against: int, rule: MajorityRule) -> bool:
    """Whether the votes carry the proposal; abstentions are not votes for or against.

    SIMPLE: more votes for than against (a tie rejects). QUALIFIED: at least two thirds of
    the votes for or against are for (exactly two thirds carries). Without a single vote for
    the proposal is never carried.
    """
    if votes_for <= 0:
        return False
    if rule is MajorityRule.QUALIFIED:
        return Fraction(votes_for, votes_for + votes_against) >= QUALIFIED_SHARE
    return votes_for > votes_against


def compute_outcome(
    ballots: Sequence[Ballot],
    *,
    voting_seats: int,
    quorum: Decimal | Fraction,
    majority: MajorityRule,
    veto_allowed: bool,
) -> Result:
    """The outcome of a decision from its ballots (in the order they were cast).

    1. Quorum: every ballot cast counts, abstentions included (``quorum_reached``); without
       a quorum the decision is DEFERRED.
    2. Veto: when the committee's rules allow it, a vote AGAINST with a veto REJECTS the
       decision; ``vetoed_by`` names the first organisation that vetoed.
    3. Majority (``majority_for``): APPROVED when carried, else REJECTED.
    """
    votes_for = sum(1 for ballot in ballots if ballot.choice is VoteChoice.FOR)
    votes_against = sum(1 for ballot in ballots if ballot.choice is VoteChoice.AGAINST)
    votes_abstain = sum(1 for ballot in ballots if ballot.choice is VoteChoice.ABSTAIN)
    quorum_met = quorum_reached(len(ballots), voting_seats, quorum)
    vetoed_by = None
    if not quorum_met:
        outcome = DecisionOutcome.DEFERRED
    else:
        if veto_allowed:
            vetoed_by = next(
                (
                    ballot.organisation_id
                    for ballot in ballots
                    if ballot.veto and ballot.choice is VoteChoice.AGAINST
                ),
                None,
            )
        if vetoed_by is not None:
            outcome = DecisionOutcome.REJECTED
        elif majority_for(votes_for, votes_against, majority):
            outcome = DecisionOutcome.APPROVED
        else:
            outcome = DecisionOutcome.REJECTED
    return Result(
        outcome=outcome,
        quorum_met=quorum_met,
        votes_for=votes_for,
        votes_against=votes_against,
        votes_abstain=votes_abstain,
        vetoed_by=vetoed_by,
    )
