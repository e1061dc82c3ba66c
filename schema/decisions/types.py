"""Decisions and votes: the types, the decision list and the mutations (issue 3).

Who may do what (the rules live in ``portal.decisions``):
- read: every current member organisation of the alliance, with ``governance:read``;
- recordDecision and closeDecision: the committee's chair, with ``governance:write``;
- castVote: an organisation holding a voting seat on the committee, with
  ``governance:write``; once per decision.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth import policy
from auth.scopes import Scope
from db import governance, models
from db.enums import DecisionOutcome, DecisionProcedure, DecisionStatus, VoteChoice
from portal.decisions import service as decisions
from portal.kernel.errors import NotFound
from schema.context import Info
from schema.kernel.errors import UserError, guarded
from schema.kernel.ids import expect_global_id, parse_global_id, to_global_id
from schema.kernel.nodes import AreaNode, load_required, node_class, nodes_by_global_id
from schema.kernel.pagination import Connection, Ordering, PageInfo, PageRequest, paginate
from schema.kernel.scopes import Needs
from schema.organisations.types import Organisation, load_organisation

if TYPE_CHECKING:
    from schema.committees.types import Committee
    from schema.loaders import Loaders
    from schema.meetings.types import Meeting

strawberry.enum(
    DecisionProcedure,
    name="DecisionProcedure",
    description="How a committee decides: in a MEETING, or by WRITTEN procedure (votes by "
    "correspondence until a deadline).",
)
strawberry.enum(
    DecisionStatus,
    name="DecisionStatus",
    description="OPEN while votes are cast; CLOSED once the chair has closed it.",
)
strawberry.enum(
    DecisionOutcome,
    name="DecisionOutcome",
    description="APPROVED or REJECTED by the votes, or DEFERRED when the quorum was not met.",
)
strawberry.enum(VoteChoice, name="VoteChoice", description="A vote: for, against or abstain.")


# --- loaders -------------------------------------------------------------------------------


# --- types ---------------------------------------------------------------------------------


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
    choice: VoteChoice = strawberry.field(description="For, against or abstain.")
    veto: bool = strawberry.field(
        description="Whether the vote against is a veto (only where the committee allows it)."
    )
    cast_at: dt.datetime = strawberry.field(description="When the vote was cast.")

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

    @strawberry.field(description="The organisation that voted.")
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
    text: str = strawberry.field(description="What is decided.")
    procedure: DecisionProcedure = strawberry.field(description="In a meeting or in writing.")
    status: DecisionStatus = strawberry.field(description="Open or closed.")
    outcome: DecisionOutcome | None = strawberry.field(
        description="Approved, rejected or deferred; null while the decision is open."
    )
    quorum_met: bool | None = strawberry.field(
        description="Whether enough voting seats voted; null while the decision is open."
    )
    votes_for: int = strawberry.field(description="Votes for (so far, while open).")
    votes_against: int = strawberry.field(description="Votes against (so far, while open).")
    votes_abstain: int = strawberry.field(description="Abstentions (so far, while open).")
    closes_at: dt.datetime | None = strawberry.field(
        description="Deadline of a written procedure: no vote is accepted from then on; null "
        "for a decision in a meeting."
    )
    closed_at: dt.datetime | None = strawberry.field(
        description="When the chair closed it; null while open."
    )
    created_at: dt.datetime = strawberry.field(description="When it was recorded.")

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

    @strawberry.field(description="The votes cast, in the order they were cast.")
    async def votes(self, info: Info) -> list[Vote]:
        rows = await info.context.loaders.decisions.votes_of_decision.load(uuid.UUID(self.db_id))
        return [Vote.from_model(row) for row in rows]

    read_scope = Scope.GOVERNANCE_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.decisions.by_id


async def load_decisions_of_meeting(info: Info, meeting_id: uuid.UUID) -> list[Decision]:
    """The decisions taken in a meeting, in the order they were recorded (one statement for
    all meetings of a request)."""
    rows = await info.context.loaders.decisions.of_meeting.load(meeting_id)
    return [Decision.from_model(row) for row in rows]


# --- the decision list ---------------------------------------------------------------------


@strawberry.enum(description="Orders of the decision list.")
class DecisionOrder(enum.Enum):
    CREATED_AT_DESC = "created_at_desc"


DECISION_ORDERINGS = {
    DecisionOrder.CREATED_AT_DESC: Ordering(
        "created_desc",
        (governance.Decision.created_at, governance.Decision.id),
        descending=True,
    ),
}


@strawberry.input(description="Narrow the decision list; all given conditions apply.")
class DecisionFilter:
    committee: strawberry.ID | None = strawberry.field(
        default=None, description="Only decisions of this committee."
    )
    meeting: strawberry.ID | None = strawberry.field(
        default=None, description="Only decisions taken in this meeting."
    )
    statuses: list[DecisionStatus] | None = strawberry.field(
        default=None, description="Only decisions in these states."
    )
    outcomes: list[DecisionOutcome] | None = strawberry.field(
        default=None, description="Only closed decisions with these outcomes."
    )
    subject: strawberry.ID | None = strawberry.field(
        default=None, description="Only decisions about this object (its global ID)."
    )


def _filtered(query: Any, chosen: DecisionFilter) -> Any:
    """``query`` narrowed by ``chosen``; ``NotFound`` when an ID names no such object."""
    model = governance.Decision
    if chosen.committee is not None:
        query = query.where(
            model.committee_id == expect_global_id(chosen.committee, "Committee", "committee")
        )
    if chosen.meeting is not None:
        query = query.where(
            model.meeting_id == expect_global_id(chosen.meeting, "Meeting", "meeting")
        )
    if chosen.statuses:
        query = query.where(model.status.in_(chosen.statuses))
    if chosen.outcomes:
        query = query.where(model.outcome.in_(chosen.outcomes))
    if chosen.subject is not None:
        type_name, object_id = parse_global_id(chosen.subject, "subject")
        query = query.where(model.subject_type == type_name, model.subject_id == object_id)
    return query


def _empty() -> Connection[Decision]:
    return Connection(
        edges=[],
        page_info=PageInfo(
            has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None
        ),
    )


async def resolve_decisions(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    filter: Annotated[
        DecisionFilter | None, strawberry.argument(description="Which decisions.")
    ] = None,
    first: Annotated[int | None, strawberry.argument(description="Page size (max 100).")] = None,
    after: Annotated[str | None, strawberry.argument(description="Cursor to start after.")] = None,
    last: Annotated[int | None, strawberry.argument(description="Page size from the end.")] = None,
    before: Annotated[str | None, strawberry.argument(description="Cursor to end before.")] = None,
    order_by: Annotated[
        DecisionOrder, strawberry.argument(description="Sort order.")
    ] = DecisionOrder.CREATED_AT_DESC,
) -> Connection[Decision]:
    """Decisions of an alliance, newest first. Needs governance:read; an alliance you are
    not a member of has no decisions for you."""
    principal = info.context.principal
    page = PageRequest(first=first, after=after, last=last, before=before)
    try:
        page.size()
        alliance_id = expect_global_id(alliance, "Alliance", "alliance")
        query = policy.alliance_records(principal, governance.Decision).where(
            governance.Decision.alliance_id == alliance_id
        )
        query = _filtered(query, filter or DecisionFilter())
        return await paginate(
            info.context.session,
            query,
            DECISION_ORDERINGS[order_by],
            page,
            Decision.from_model,
        )
    except NotFound:
        return _empty()  # an ID of another type names nothing: nothing matches


@strawberry.type
class Queries:
    decisions: Connection[Decision] = strawberry.field(
        resolver=resolve_decisions,
        description="Decisions of an alliance you belong to, newest first (governance:read).",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )


# --- mutations -----------------------------------------------------------------------------


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


@strawberry.type(description="Result of recordDecision or closeDecision.")
class DecisionPayload:
    decision: Decision | None = strawberry.field(description="The decision as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="Result of castVote.")
class CastVotePayload:
    vote: Vote | None = strawberry.field(description="The vote cast.")
    decision: Decision | None = strawberry.field(description="The decision with its running tally.")
    user_errors: list[UserError] = strawberry.field(description="Why no vote was cast.")


async def _subject(info: Info, value: strawberry.ID) -> decisions.Subject:
    """The visible object a global ID names, as a decision's subject."""
    type_name, object_id = parse_global_id(value, "subject")
    node_type = node_class(info, type_name)
    found: Iterable[Any] = (
        await node_type.resolve_nodes(info=info, node_ids=[str(object_id)])  # type: ignore[misc]
        if node_type is not None
        else [None]
    )
    node = next(iter(found), None)
    if node is None:
        raise NotFound("no such object", field="subject")
    alliance_id = object_id if type_name == "Alliance" else getattr(node, "alliance_id", None)
    return decisions.Subject(
        type_name, object_id, alliance_id if isinstance(alliance_id, uuid.UUID) else None
    )


@strawberry.type
class Mutations:
    @strawberry.mutation(
        description="Record a decision of a committee, in a meeting or by written procedure. "
        "The committee's chair only (governance:write); see RecordDecisionInput.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def record_decision(
        self,
        info: Info,
        input: Annotated[
            RecordDecisionInput, strawberry.argument(description="The decision to record.")
        ],
    ) -> DecisionPayload:
        ctx = info.context

        async def record() -> governance.Decision:
            committee_id = expect_global_id(input.committee, "Committee", "committee")
            meeting_id = (
                expect_global_id(input.meeting, "Meeting", "meeting") if input.meeting else None
            )
            subject_id = input.subject

            async def subject() -> decisions.Subject:
                assert subject_id is not None
                return await _subject(info, subject_id)

            return await decisions.record_decision(
                ctx.session,
                ctx.principal,
                committee_id,
                text=input.text,
                procedure=input.procedure,
                meeting_id=meeting_id,
                closes_at=input.closes_at,
                subject=subject if subject_id is not None else None,
                now=models.utcnow(),
            )

        row, errors = await guarded(ctx.session, record)
        return DecisionPayload(
            decision=Decision.from_model(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Cast your organisation's vote on an open decision: through a voting seat "
        "on its committee (governance:write), once; see CastVoteInput.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def cast_vote(
        self,
        info: Info,
        input: Annotated[CastVoteInput, strawberry.argument(description="The vote to cast.")],
    ) -> CastVotePayload:
        ctx = info.context

        async def cast() -> tuple[governance.Vote, governance.Decision]:
            decision_id = expect_global_id(input.decision, "Decision", "decision")
            vote = await decisions.cast_vote(
                ctx.session,
                ctx.principal,
                decision_id,
                choice=input.choice,
                veto=input.veto,
                now=models.utcnow(),
            )
            return vote, await decisions.get_decision(ctx.session, ctx.principal, decision_id)

        result, errors = await guarded(ctx.session, cast)
        return CastVotePayload(
            vote=Vote.from_model(result[0]) if result else None,
            decision=Decision.from_model(result[1]) if result else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Close an open decision and store the outcome computed from its votes. "
        "The committee's chair only (governance:write); see CloseDecisionInput.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def close_decision(
        self,
        info: Info,
        input: Annotated[
            CloseDecisionInput, strawberry.argument(description="The decision to close.")
        ],
    ) -> DecisionPayload:
        ctx = info.context

        async def close() -> governance.Decision:
            decision_id = expect_global_id(input.decision, "Decision", "decision")
            return await decisions.close_decision(
                ctx.session, ctx.principal, decision_id, now=models.utcnow()
            )

        row, errors = await guarded(ctx.session, close)
        return DecisionPayload(
            decision=Decision.from_model(row) if row else None, user_errors=errors
        )


NODE_TYPES: dict[str, type[relay.Node]] = {"Decision": Decision, "Vote": Vote}

__all__ = [
    "NODE_TYPES",
    "Decision",
    "DecisionSubject",
    "Mutations",
    "Queries",
    "Vote",
    "load_decisions_of_meeting",
]
