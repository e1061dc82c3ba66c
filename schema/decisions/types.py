"""Decisions and votes: the types, the decision list and the mutations (issue 3).

Who may do what (the rules live in ``portal.decisions``):
- read: every current member organisation of the alliance, with ``governance:read``;
- recordDecision and closeDecision: the committee's chair, with ``governance:write``;
- castVote: an organisation holding a voting seat on the committee, with
  ``governance:write``; once per decision."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth.scopes import Scope
from db import governance
from schema.context import Info
from schema.decisions.enums import DecisionOutcome, DecisionProcedure, DecisionStatus, VoteChoice
from schema.kernel import sql
from schema.kernel.ids import to_global_id
from schema.kernel.nodes import AreaNode, load_required, nodes_by_global_id
from schema.organisations.types import Organisation, load_organisation

if TYPE_CHECKING:
    from schema.committees.types import Committee
    from schema.loaders import Loaders
    from schema.meetings.types import Meeting


@strawberry.type(description="The object a decision is about, e.g. a plan version to approve.")
class DecisionSubject:
    type: str = strawberry.field(description="The object's GraphQL type name.")
    id: strawberry.ID = strawberry.field(description="The object's global ID.")

    @strawberry.field(
        description="The object itself; null when it no longer exists or you may not see it."
    )
    async def node(self, info: Info) -> relay.Node | None:
        return (await nodes_by_global_id(info, [self.id], field="subject"))[0]


@strawberry.type(
    description="One organisation's vote on a decision, cast through its voting seat. "
    "Final once cast. Visible to every member organisation of the alliance."
)
class Vote(AreaNode):
    db_id: relay.NodeID[str]
    decision_id: strawberry.Private[uuid.UUID]
    organisation_id: strawberry.Private[uuid.UUID]
    choice: VoteChoice = strawberry.field(
        metadata=sql.column("{t}.choice", enum=VoteChoice), description="For, against or abstain."
    )
    veto: bool = strawberry.field(
        metadata=sql.column("{t}.veto", "bool"),
        description="Whether the vote against is a veto (only where the committee allows it).",
    )
    cast_at: dt.datetime = strawberry.field(
        metadata=sql.column("{t}.cast_at", "datetime"), description="When the vote was cast."
    )

    @classmethod
    def from_model(cls, row: governance.Vote) -> Vote:
        return cls(
            db_id=str(row.id),
            decision_id=row.decision_id,
            organisation_id=row.organisation_id,
            choice=row.choice,
            veto=row.veto,
            cast_at=row.cast_at,
        )

    @strawberry.field(
        metadata=sql.to_one("Organisation", "{c}.id = {p}.organisation_id"),
        description="The organisation that voted.",
    )
    async def organisation(self, info: Info) -> Organisation:
        return await load_organisation(info, self.organisation_id)

    @strawberry.field(description="The decision voted on.")
    async def decision(self, info: Info) -> Decision:
        row = await info.context.loaders.decisions.by_id.load(self.decision_id)
        if row is None:
            raise LookupError("a visible vote's decision is visible")
        return Decision.from_model(row)

    read_scope = Scope.GOVERNANCE_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.decisions.vote_by_id

    sql_table = sql.alliance_records("votes")


@strawberry.type(
    description="A decision of a committee, taken in a meeting or by written procedure. "
    "Recorded and closed by the committee's chair; each organisation with a voting seat "
    "votes once. On closing, the outcome is computed: DEFERRED without a quorum (votes cast, "
    "abstentions included, as a share of the voting seats, at least the committee's quorum); "
    "otherwise REJECTED on a veto (where the committee allows vetoes); otherwise by the "
    "committee's majority rule over the votes for and against (SIMPLE: more for than "
    "against; QUALIFIED: at least two thirds for). Visible to every member organisation of "
    "the alliance."
)
class Decision(AreaNode):
    db_id: relay.NodeID[str]
    alliance_id: strawberry.Private[uuid.UUID]
    committee_id: strawberry.Private[uuid.UUID]
    meeting_id: strawberry.Private[uuid.UUID | None]
    vetoed_by_organisation_id: strawberry.Private[uuid.UUID | None]
    subject_type: strawberry.Private[str | None]
    subject_id: strawberry.Private[uuid.UUID | None]
    text: str = strawberry.field(metadata=sql.column("{t}.text"), description="What is decided.")
    procedure: DecisionProcedure = strawberry.field(
        metadata=sql.column("{t}.procedure", enum=DecisionProcedure),
        description="In a meeting or in writing.",
    )
    status: DecisionStatus = strawberry.field(
        metadata=sql.column("{t}.status", enum=DecisionStatus), description="Open or closed."
    )
    outcome: DecisionOutcome | None = strawberry.field(
        metadata=sql.column("{t}.outcome", enum=DecisionOutcome),
        description="Approved, rejected or deferred; null while the decision is open.",
    )
    quorum_met: bool | None = strawberry.field(
        metadata=sql.column("{t}.quorum_met", "bool"),
        description="Whether enough voting seats voted; null while the decision is open.",
    )
    votes_for: int = strawberry.field(
        metadata=sql.column("{t}.votes_for", "int"), description="Votes for (so far, while open)."
    )
    votes_against: int = strawberry.field(
        metadata=sql.column("{t}.votes_against", "int"),
        description="Votes against (so far, while open).",
    )
    votes_abstain: int = strawberry.field(
        metadata=sql.column("{t}.votes_abstain", "int"),
        description="Abstentions (so far, while open).",
    )
    closes_at: dt.datetime | None = strawberry.field(
        metadata=sql.column("{t}.closes_at", "datetime"),
        description="Deadline of a written procedure: no vote is accepted from then on; null "
        "for a decision in a meeting.",
    )
    closed_at: dt.datetime | None = strawberry.field(
        metadata=sql.column("{t}.closed_at", "datetime"),
        description="When the chair closed it; null while open.",
    )
    created_at: dt.datetime = strawberry.field(
        metadata=sql.column("{t}.created_at", "datetime"), description="When it was recorded."
    )

    @classmethod
    def from_model(cls, row: governance.Decision) -> Decision:
        return cls(
            db_id=str(row.id),
            alliance_id=row.alliance_id,
            committee_id=row.committee_id,
            meeting_id=row.meeting_id,
            vetoed_by_organisation_id=row.vetoed_by_organisation_id,
            subject_type=row.subject_type,
            subject_id=row.subject_id,
            text=row.text,
            procedure=row.procedure,
            status=row.status,
            outcome=row.outcome,
            quorum_met=row.quorum_met,
            votes_for=row.votes_for,
            votes_against=row.votes_against,
            votes_abstain=row.votes_abstain,
            closes_at=row.closes_at,
            closed_at=row.closed_at,
            created_at=row.created_at,
        )

    @strawberry.field(description="The deciding committee.")
    async def committee(
        self, info: Info
    ) -> Annotated[Committee, strawberry.lazy("schema.committees.types")]:
        return await load_required(info, info.context.loaders.committees.by_id, self.committee_id)

    @strawberry.field(description="The meeting it is taken in; null for a written procedure.")
    async def meeting(
        self, info: Info
    ) -> Annotated[Meeting, strawberry.lazy("schema.meetings.types")] | None:
        if self.meeting_id is None:
            return None
        return await load_required(info, info.context.loaders.meetings.by_id, self.meeting_id)

    @strawberry.field(description="The organisation whose veto rejected it, if one did.")
    async def vetoed_by(self, info: Info) -> Organisation | None:
        if self.vetoed_by_organisation_id is None:
            return None
        return await load_organisation(info, self.vetoed_by_organisation_id)

    @strawberry.field(description="The object decided on, if the decision names one.")
    def subject(self) -> DecisionSubject | None:
        if self.subject_type is None or self.subject_id is None:
            return None
        return DecisionSubject(
            type=self.subject_type,
            id=strawberry.ID(str(to_global_id(self.subject_type, self.subject_id))),
        )

    @strawberry.field(
        metadata=sql.to_many("Vote", "{c}.decision_id = {p}.id", "{c}.cast_at, {c}.id"),
        description="The votes cast, in the order they were cast.",
    )
    async def votes(self, info: Info) -> list[Vote]:
        rows = await info.context.loaders.decisions.votes_of_decision.load(uuid.UUID(self.db_id))
        return [Vote.from_model(row) for row in rows]

    read_scope = Scope.GOVERNANCE_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.decisions.by_id

    sql_table = sql.alliance_records("decisions")


async def load_decisions_of_meeting(info: Info, meeting_id: uuid.UUID) -> list[Decision]:
    """The decisions taken in a meeting, in the order they were recorded (one statement for
    all meetings of a request)."""
    rows = await info.context.loaders.decisions.of_meeting.load(meeting_id)
    return [Decision.from_model(row) for row in rows]


NODE_TYPES: dict[str, type[relay.Node]] = {"Decision": Decision, "Vote": Vote}
