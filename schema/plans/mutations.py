"""The plans mutations: their payloads and the resolvers that call the domain."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry

from auth.scopes import Scope
from db import portfolio as db
from db.models import utcnow
from portal import plans as domain
from schema.context import Info
from schema.kernel.errors import INPUT_DESCRIPTION, UserError, guarded
from schema.kernel.ids import expect_global_id
from schema.kernel.scopes import Needs
from schema.plans.inputs import (
    ActivatePlanInput,
    AddMilestoneInput,
    CancelPlanInput,
    CompletePlanInput,
    CreatePlanInput,
    ProposePlanInput,
    RevisePlanInput,
    SetMilestoneStatusInput,
    UpdateMilestoneInput,
)
from schema.plans.types import Milestone, Plan, _today


@strawberry.type(description="Result of a change to a plan.")
class PlanPayload:
    plan: Plan | None = strawberry.field(description="The plan as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="Result of a change to a milestone.")
class MilestonePayload:
    milestone: Milestone | None = strawberry.field(description="The milestone as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


async def _plan_payload(info: Info, action: Callable[[], Awaitable[db.Plan]]) -> PlanPayload:
    row, errors = await guarded(info.context.session, action)
    return PlanPayload(plan=Plan.from_model(row) if row else None, user_errors=errors)


async def _milestone_payload(
    info: Info, action: Callable[[], Awaitable[db.Milestone]]
) -> MilestonePayload:
    row, errors = await guarded(info.context.session, action)
    return MilestonePayload(
        milestone=Milestone.from_model(row, today=_today()) if row else None, user_errors=errors
    )


def _plan_id(value: strawberry.ID) -> uuid.UUID:
    return expect_global_id(value, "Plan", "plan")


def _milestone_id(value: strawberry.ID) -> uuid.UUID:
    return expect_global_id(value, "Milestone", "milestone")


def _organisation_id(value: strawberry.ID) -> uuid.UUID:
    return expect_global_id(value, "Organisation", "responsibleOrganisation")


Transition = Callable[..., Awaitable[db.Plan]]


async def _transition(
    info: Info, plan: strawberry.ID, version: int, change: Transition
) -> PlanPayload:
    ctx = info.context

    async def run() -> db.Plan:
        return await change(
            ctx.session, ctx.principal, _plan_id(plan), expected_version=version, now=utcnow()
        )

    return await _plan_payload(info, run)


@strawberry.type
class Mutations:
    @strawberry.mutation(
        description="Create a research plan (any member; you own it).",
        extensions=[Needs(Scope.PLANS_WRITE)],
    )
    async def create_plan(
        self,
        info: Info,
        input: Annotated[CreatePlanInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> PlanPayload:
        ctx = info.context

        async def create() -> db.Plan:
            alliance_id = expect_global_id(input.alliance, "Alliance", "alliance")
            committee_id = (
                expect_global_id(input.visibility_committee, "Committee", "visibilityCommittee")
                if input.visibility_committee is not None
                else None
            )
            return await domain.create_plan(
                ctx.session,
                ctx.principal,
                alliance_id,
                content=domain.Content(input.title, input.summary, input.body),
                audience=domain.Audience(
                    input.visibility, committee_id, tuple(input.audience or ())
                ),
                idempotency_key=input.idempotency_key,
                now=utcnow(),
            )

        return await _plan_payload(info, create)

    @strawberry.mutation(
        description="Write a new version of a plan (the owner).",
        extensions=[Needs(Scope.PLANS_WRITE)],
    )
    async def revise_plan(
        self,
        info: Info,
        input: Annotated[RevisePlanInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> PlanPayload:
        ctx = info.context

        async def revise() -> db.Plan:
            return await domain.revise_plan(
                ctx.session,
                ctx.principal,
                _plan_id(input.plan),
                expected_version=input.version,
                title=input.title,
                summary=input.summary,
                body=input.body,
                now=utcnow(),
            )

        return await _plan_payload(info, revise)

    @strawberry.mutation(
        description="Propose a draft plan for approval (the owner).",
        extensions=[Needs(Scope.PLANS_WRITE)],
    )
    async def propose_plan(
        self,
        info: Info,
        input: Annotated[ProposePlanInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> PlanPayload:
        return await _transition(info, input.plan, input.version, domain.propose_plan)

    @strawberry.mutation(
        description="Start work on an approved plan (the owner).",
        extensions=[Needs(Scope.PLANS_WRITE)],
    )
    async def activate_plan(
        self,
        info: Info,
        input: Annotated[ActivatePlanInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> PlanPayload:
        return await _transition(info, input.plan, input.version, domain.activate_plan)

    @strawberry.mutation(
        description="Complete an active plan (the owner).", extensions=[Needs(Scope.PLANS_WRITE)]
    )
    async def complete_plan(
        self,
        info: Info,
        input: Annotated[CompletePlanInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> PlanPayload:
        return await _transition(info, input.plan, input.version, domain.complete_plan)

    @strawberry.mutation(
        description="Cancel a plan that is not finished (the owner).",
        extensions=[Needs(Scope.PLANS_WRITE)],
    )
    async def cancel_plan(
        self,
        info: Info,
        input: Annotated[CancelPlanInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> PlanPayload:
        return await _transition(info, input.plan, input.version, domain.cancel_plan)

    @strawberry.mutation(
        description="Add a milestone or deliverable to a plan (the owner).",
        extensions=[Needs(Scope.PLANS_WRITE)],
    )
    async def add_milestone(
        self,
        info: Info,
        input: Annotated[AddMilestoneInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> MilestonePayload:
        ctx = info.context

        async def add() -> db.Milestone:
            return await domain.add_milestone(
                ctx.session,
                ctx.principal,
                _plan_id(input.plan),
                kind=input.kind,
                title=input.title,
                responsible_organisation_id=_organisation_id(input.responsible_organisation),
                due_on=input.due_on,
                idempotency_key=input.idempotency_key,
                now=utcnow(),
            )

        return await _milestone_payload(info, add)

    @strawberry.mutation(
        description="Change a milestone (the plan's owner).", extensions=[Needs(Scope.PLANS_WRITE)]
    )
    async def update_milestone(
        self,
        info: Info,
        input: Annotated[UpdateMilestoneInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> MilestonePayload:
        ctx = info.context

        async def update() -> db.Milestone:
            return await domain.update_milestone(
                ctx.session,
                ctx.principal,
                _milestone_id(input.milestone),
                expected_version=input.version,
                change=domain.MilestoneChange(
                    kind=input.kind,
                    title=input.title,
                    responsible_organisation_id=(
                        _organisation_id(input.responsible_organisation)
                        if input.responsible_organisation is not None
                        else None
                    ),
                    due_on=input.due_on,
                ),
            )

        return await _milestone_payload(info, update)

    @strawberry.mutation(
        description="Set a milestone's status (the plan's owner or the responsible organisation).",
        extensions=[Needs(Scope.PLANS_WRITE)],
    )
    async def set_milestone_status(
        self,
        info: Info,
        input: Annotated[
            SetMilestoneStatusInput, strawberry.argument(description=INPUT_DESCRIPTION)
        ],
    ) -> MilestonePayload:
        ctx = info.context

        async def set_status() -> db.Milestone:
            return await domain.set_milestone_status(
                ctx.session,
                ctx.principal,
                _milestone_id(input.milestone),
                expected_version=input.version,
                status=input.status,
                now=utcnow(),
            )

        return await _milestone_payload(info, set_status)
