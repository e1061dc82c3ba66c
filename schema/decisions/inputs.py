"""What the decisions mutations take: their input types."""

from __future__ import annotations

import datetime as dt

import strawberry

from schema.decisions.enums import DecisionProcedure, VoteChoice


@strawberry.input(
    description="Put a proposal to a committee's vote. Only the committee's chair, with "
    "governance:write (FORBIDDEN for other seat holders and members). A MEETING decision "
    "names a meeting of the same committee that is not cancelled; a WRITTEN procedure has a "
    "deadline in the future and no meeting. Invalid input is BAD_USER_INPUT."
)
class RecordDecisionInput:
    committee: strawberry.ID = strawberry.field(description="The deciding committee's ID.")
    text: str = strawberry.field(description="What is to be decided (1-20000 characters).")
    procedure: DecisionProcedure = strawberry.field(description="MEETING or WRITTEN procedure.")
    meeting: strawberry.ID | None = strawberry.field(
        default=None,
        description="The meeting (of this committee, not cancelled): required for MEETING, "
        "refused for WRITTEN.",
    )
    closes_at: dt.datetime | None = strawberry.field(
        default=None,
        description="Deadline of a WRITTEN procedure, in the future: required for WRITTEN, "
        "refused for MEETING.",
    )
    subject: strawberry.ID | None = strawberry.field(
        default=None,
        description="Global ID of the object decided on (e.g. a plan version); it must be "
        "visible to you and, where it belongs to an alliance, to this committee's alliance.",
    )


@strawberry.input(
    description="Cast your organisation's vote on an open decision. Only an organisation "
    "holding a voting seat on the decision's committee (chair, secretary or member with "
    "voting rights), with governance:write; non-voting seats, observers and organisations "
    "without a seat get FORBIDDEN. One vote per organisation and final: a second vote is a "
    "CONFLICT, as is a vote on a closed decision or after a written procedure's deadline."
)
class CastVoteInput:
    decision: strawberry.ID = strawberry.field(description="The decision's ID.")
    choice: VoteChoice = strawberry.field(description="FOR, AGAINST or ABSTAIN.")
    veto: bool = strawberry.field(
        default=False,
        description="Veto the decision: only with choice AGAINST and only on a committee "
        "whose rules allow vetoes (BAD_USER_INPUT otherwise). A veto rejects the decision "
        "when it closes with a quorum.",
    )


@strawberry.input(
    description="Close an open decision and compute its outcome from the votes (see "
    "Decision). Only the committee's chair, with governance:write. A written procedure "
    "closes once its deadline has passed or every voting seat has voted (CONFLICT before); "
    "a closed decision cannot be closed again (CONFLICT)."
)
class CloseDecisionInput:
    decision: strawberry.ID = strawberry.field(description="The decision's ID.")
