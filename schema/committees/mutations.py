"""The committees mutations: their payloads and the resolvers that call the domain."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated

import strawberry

from auth.scopes import Scope
from db import governance as models
from portal import committees
from portal.kernel.errors import BadInput
from schema.committees.inputs import (
    AssignSeatInput,
    CreateCommitteeInput,
    RemoveSeatInput,
    SetSeatRepresentativesInput,
    UpdateCommitteeInput,
    UpdateGovernanceRulesInput,
    UpdateSeatInput,
)
from schema.committees.types import Committee, GovernanceRules, Seat, load_committee
from schema.context import Info
from schema.kernel.errors import UserError, guarded
from schema.kernel.ids import expect_global_id, to_global_id
from schema.kernel.scopes import Needs


def _quorum(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@strawberry.type(description="Result of createCommittee or updateCommittee.")
class CommitteePayload:
    committee: Committee | None = strawberry.field(description="The committee as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="Result of a seat change.")
class SeatPayload:
    seat: Seat | None = strawberry.field(description="The seat as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="Result of removeSeat.")
class RemoveSeatPayload:
    removed_seat_id: strawberry.ID | None = strawberry.field(
        description="The ID the removed seat had."
    )
    committee: Committee | None = strawberry.field(description="Its committee, as it is now.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="Result of updateGovernanceRules.")
class GovernanceRulesPayload:
    governance_rules: GovernanceRules | None = strawberry.field(description="The rules as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


def _user_ids(values: list[strawberry.ID]) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(str(value)) for value in values]
    except ValueError:
        raise BadInput("not a user ID", field="users") from None


def _seat_payload(row: models.Seat | None, errors: list[UserError]) -> SeatPayload:
    return SeatPayload(seat=Seat.from_model(row) if row else None, user_errors=errors)


def _committee_payload(row: models.Committee | None, errors: list[UserError]) -> CommitteePayload:
    return CommitteePayload(
        committee=Committee.from_model(row) if row else None, user_errors=errors
    )


@strawberry.type
class Mutations:
    @strawberry.mutation(
        description="Set up a tactical or operational committee. Lead organisation's admins.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def create_committee(
        self,
        info: Info,
        input: Annotated[
            CreateCommitteeInput,
            strawberry.argument(description="The change and the object it applies to."),
        ],
    ) -> CommitteePayload:
        ctx = info.context

        async def create() -> models.Committee:
            alliance_id = expect_global_id(input.alliance, "Alliance", "alliance")
            parent_id = expect_global_id(input.parent, "Committee", "parent")
            return await committees.create_committee(
                ctx.session,
                ctx.principal,
                alliance_id,
                parent_id=parent_id,
                tier=input.tier,
                committee=committees.CommitteeFields(
                    name=input.name,
                    mandate=input.mandate,
                    quorum=_quorum(input.quorum),
                    majority=input.majority,
                    veto_allowed=input.veto_allowed,
                ),
            )

        return _committee_payload(*await guarded(ctx.session, create))

    @strawberry.mutation(
        description="Change a committee's settings with optimistic concurrency. Lead "
        "organisation's admins.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def update_committee(
        self,
        info: Info,
        input: Annotated[
            UpdateCommitteeInput,
            strawberry.argument(description="The change and the object it applies to."),
        ],
    ) -> CommitteePayload:
        ctx = info.context

        async def update() -> models.Committee:
            committee_id = expect_global_id(input.committee, "Committee", "committee")
            return await committees.update_committee(
                ctx.session,
                ctx.principal,
                committee_id,
                expected_version=input.version,
                changes=committees.CommitteeFields(
                    name=input.name,
                    mandate=input.mandate,
                    quorum=_quorum(input.quorum),
                    majority=input.majority,
                    veto_allowed=input.veto_allowed,
                ),
            )

        return _committee_payload(*await guarded(ctx.session, update))

    @strawberry.mutation(
        description=(
            "Seat a current member organisation on a committee. Lead organisation's admins."
        ),
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def assign_seat(
        self,
        info: Info,
        input: Annotated[
            AssignSeatInput,
            strawberry.argument(description="The change and the object it applies to."),
        ],
    ) -> SeatPayload:
        ctx = info.context

        async def assign() -> models.Seat:
            committee_id = expect_global_id(input.committee, "Committee", "committee")
            organisation_id = expect_global_id(input.organisation, "Organisation", "organisation")
            return await committees.assign_seat(
                ctx.session,
                ctx.principal,
                committee_id,
                organisation_id=organisation_id,
                role=input.role,
                voting=input.voting,
                hand_over=input.hand_over,
            )

        return _seat_payload(*await guarded(ctx.session, assign))

    @strawberry.mutation(
        description="Change a seat's role or vote. Lead organisation's admins.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def update_seat(
        self,
        info: Info,
        input: Annotated[
            UpdateSeatInput,
            strawberry.argument(description="The change and the object it applies to."),
        ],
    ) -> SeatPayload:
        ctx = info.context

        async def update() -> models.Seat:
            seat_id = expect_global_id(input.seat, "Seat", "seat")
            return await committees.update_seat(
                ctx.session,
                ctx.principal,
                seat_id,
                role=input.role,
                voting=input.voting,
                hand_over=input.hand_over,
            )

        return _seat_payload(*await guarded(ctx.session, update))

    @strawberry.mutation(
        description="Remove a seat. Lead organisation's admins.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def remove_seat(
        self,
        info: Info,
        input: Annotated[
            RemoveSeatInput,
            strawberry.argument(description="The change and the object it applies to."),
        ],
    ) -> RemoveSeatPayload:
        ctx = info.context

        async def remove() -> models.Seat:
            seat_id = expect_global_id(input.seat, "Seat", "seat")
            return await committees.remove_seat(ctx.session, ctx.principal, seat_id)

        row, errors = await guarded(ctx.session, remove)
        if row is None:
            return RemoveSeatPayload(removed_seat_id=None, committee=None, user_errors=errors)
        return RemoveSeatPayload(
            removed_seat_id=strawberry.ID(str(to_global_id("Seat", row.id))),
            committee=await load_committee(info, row.committee_id),
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Name the people who sit for a seat. The seat's own organisation's "
        "admins; the lead's admins may only clear them.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def set_seat_representatives(
        self,
        info: Info,
        input: Annotated[
            SetSeatRepresentativesInput,
            strawberry.argument(description="The change and the object it applies to."),
        ],
    ) -> SeatPayload:
        ctx = info.context

        async def name() -> models.Seat:
            seat_id = expect_global_id(input.seat, "Seat", "seat")
            return await committees.set_seat_representatives(
                ctx.session, ctx.principal, seat_id, _user_ids(input.users)
            )

        return _seat_payload(*await guarded(ctx.session, name))

    @strawberry.mutation(
        description="Change the alliance's notice periods, deadlines and response times "
        "with optimistic concurrency. Lead organisation's admins.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def update_governance_rules(
        self,
        info: Info,
        input: Annotated[
            UpdateGovernanceRulesInput,
            strawberry.argument(description="The change and the object it applies to."),
        ],
    ) -> GovernanceRulesPayload:
        ctx = info.context

        async def update() -> models.GovernanceRules:
            alliance_id = expect_global_id(input.alliance, "Alliance", "alliance")
            return await committees.update_governance_rules(
                ctx.session,
                ctx.principal,
                alliance_id,
                expected_version=input.version,
                changes=committees.RuleChanges(
                    ordinary_notice_days=input.ordinary_notice_days,
                    extraordinary_notice_days=input.extraordinary_notice_days,
                    agenda_deadline_days=input.agenda_deadline_days,
                    objection_period_days=input.objection_period_days,
                    operational_response_days=input.operational_response_days,
                    tactical_response_days=input.tactical_response_days,
                    strategic_response_days=input.strategic_response_days,
                ),
            )

        row, errors = await guarded(ctx.session, update)
        return GovernanceRulesPayload(
            governance_rules=GovernanceRules.from_model(row) if row else None, user_errors=errors
        )
