"""The decisions mutations: their payloads and the resolvers that call the domain."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated, Any

import strawberry

from auth.scopes import Scope
from db import governance, models
from portal import decisions
from portal.kernel.errors import NotFound
from schema.context import Info
from schema.decisions.inputs import CastVoteInput, CloseDecisionInput, RecordDecisionInput
from schema.decisions.types import Decision, Vote
from schema.kernel.errors import UserError, guarded
from schema.kernel.ids import expect_global_id, parse_global_id
from schema.kernel.nodes import node_class
from schema.kernel.scopes import Needs


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
