"""Mutations on alliances and their membership. Each takes one input and returns a payload
with the changed object and typed ``userErrors``; a refused mutation changes nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry

from auth.principal import Principal
from auth.scopes import Scope
from db import models
from db.session import LockedSession
from portal import alliances
from schema.alliances.enums import AllianceStatus, MembershipRole
from schema.alliances.types import Alliance, Membership
from schema.context import Info
from schema.kernel.errors import INPUT_DESCRIPTION, UserError, guarded
from schema.kernel.ids import expect_global_id
from schema.kernel.scopes import Needs


@strawberry.input(
    description="Found an alliance. Needs alliances:write; your organisation becomes its lead."
)
class CreateAllianceInput:
    name: str = strawberry.field(description="The alliance's name (1-200 characters).")
    purpose: str = strawberry.field(default="", description="Why it exists.")
    strategy: str = strawberry.field(default="", description="How it means to get there.")
    vision: str = strawberry.field(default="", description="Where it wants to be.")
    starts_on: dt.date | None = strawberry.field(default=None, description="First day.")
    ends_on: dt.date | None = strawberry.field(default=None, description="Last day.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Any string of yours (1-200 characters): a retry with the same key "
        "returns the alliance founded first instead of founding another; the same key with "
        "a different input is refused with CONFLICT.",
    )


@strawberry.type(description="Result of createAlliance.")
class CreateAlliancePayload:
    alliance: Alliance | None = strawberry.field(description="The new alliance.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was created.")


@strawberry.input(
    description="Change the charter. The lead organisation only, with "
    "alliances:write. Omitted fields stay as they are."
)
class UpdateAllianceCharterInput:
    alliance: strawberry.ID = strawberry.field(description="The alliance's ID.")
    version: int = strawberry.field(
        description="The version you edited; if it changed meanwhile you get CONFLICT."
    )
    name: str | None = strawberry.field(default=None, description="New name.")
    purpose: str | None = strawberry.field(default=None, description="New purpose.")
    strategy: str | None = strawberry.field(default=None, description="New strategy.")
    vision: str | None = strawberry.field(default=None, description="New vision.")
    status: AllianceStatus | None = strawberry.field(default=None, description="New status.")
    starts_on: dt.date | None = strawberry.field(default=None, description="New first day.")
    ends_on: dt.date | None = strawberry.field(default=None, description="New last day.")


@strawberry.type(description="Result of updateAllianceCharter.")
class UpdateAllianceCharterPayload:
    alliance: Alliance | None = strawberry.field(description="The alliance as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.input(description="Admit an organisation. Admins of the lead organisation only.")
class AddMemberInput:
    alliance: strawberry.ID = strawberry.field(description="The alliance's ID.")
    organisation_slug: str = strawberry.field(description="Slug of the organisation to admit.")
    role: MembershipRole = strawberry.field(description="Partner, associate or observer.")
    commitment: str = strawberry.field(default="", description="What it agrees to bring.")


@strawberry.input(
    description="End another organisation's membership. Admins of the lead "
    "organisation only; the lead itself cannot be removed."
)
class RemoveMemberInput:
    membership: strawberry.ID = strawberry.field(description="The membership's ID.")


@strawberry.input(
    description="Hand the lead to another current member. Admins of the lead "
    "organisation only; your organisation becomes a partner."
)
class TransferLeadInput:
    membership: strawberry.ID = strawberry.field(description="The successor's membership ID.")


@strawberry.input(
    description="Leave an alliance. Your organisation's admins only; the lead "
    "must transfer the lead first."
)
class LeaveAllianceInput:
    alliance: strawberry.ID = strawberry.field(description="The alliance's ID.")


@strawberry.type(description="Result of a membership change.")
class MembershipPayload:
    membership: Membership | None = strawberry.field(description="The membership as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type
class Mutations:
    @strawberry.mutation(
        description="Found an alliance; your organisation becomes its lead.",
        extensions=[Needs(Scope.ALLIANCES_WRITE)],
    )
    async def create_alliance(
        self,
        info: Info,
        input: Annotated[CreateAllianceInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> CreateAlliancePayload:
        ctx = info.context
        charter = alliances.Charter(
            name=input.name,
            purpose=input.purpose,
            strategy=input.strategy,
            vision=input.vision,
            starts_on=input.starts_on,
            ends_on=input.ends_on,
        )
        row, errors = await guarded(
            ctx.session,
            lambda: alliances.create_alliance(
                ctx.session, ctx.principal, charter, idempotency_key=input.idempotency_key
            ),
        )
        return CreateAlliancePayload(
            alliance=Alliance.from_model(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Change the charter with optimistic concurrency.",
        extensions=[Needs(Scope.ALLIANCES_WRITE)],
    )
    async def update_alliance_charter(
        self,
        info: Info,
        input: Annotated[
            UpdateAllianceCharterInput, strawberry.argument(description=INPUT_DESCRIPTION)
        ],
    ) -> UpdateAllianceCharterPayload:
        ctx = info.context
        charter = alliances.Charter(
            name=input.name,
            purpose=input.purpose,
            strategy=input.strategy,
            vision=input.vision,
            status=input.status,
            starts_on=input.starts_on,
            ends_on=input.ends_on,
        )

        async def update() -> models.Alliance:
            alliance_id = expect_global_id(input.alliance, "Alliance", "alliance")
            return await alliances.update_charter(
                ctx.session,
                ctx.principal,
                alliance_id,
                expected_version=input.version,
                charter=charter,
            )

        row, errors = await guarded(ctx.session, update)
        return UpdateAllianceCharterPayload(
            alliance=Alliance.from_model(row) if row else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Admit an organisation to an alliance.", extensions=[Needs(Scope.ADMIN)]
    )
    async def add_member(
        self,
        info: Info,
        input: Annotated[AddMemberInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> MembershipPayload:
        ctx = info.context

        async def add() -> models.Membership:
            alliance_id = expect_global_id(input.alliance, "Alliance", "alliance")
            return await alliances.add_member(
                ctx.session,
                ctx.principal,
                alliance_id,
                organisation_slug=input.organisation_slug,
                role=input.role,
                commitment=input.commitment,
            )

        return _membership_payload(*await guarded(ctx.session, add))

    @strawberry.mutation(
        description="End another organisation's membership.", extensions=[Needs(Scope.ADMIN)]
    )
    async def remove_member(
        self,
        info: Info,
        input: Annotated[RemoveMemberInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> MembershipPayload:
        return await _change_membership(
            info, input.membership, "Membership", "membership", alliances.remove_member
        )

    @strawberry.mutation(
        description="Hand the lead to another member.", extensions=[Needs(Scope.ADMIN)]
    )
    async def transfer_lead(
        self,
        info: Info,
        input: Annotated[TransferLeadInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> MembershipPayload:
        return await _change_membership(
            info, input.membership, "Membership", "membership", alliances.transfer_lead
        )

    @strawberry.mutation(description="Leave an alliance.", extensions=[Needs(Scope.ADMIN)])
    async def leave_alliance(
        self,
        info: Info,
        input: Annotated[LeaveAllianceInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> MembershipPayload:
        return await _change_membership(
            info, input.alliance, "Alliance", "alliance", alliances.leave_alliance
        )


MembershipChange = Callable[[LockedSession, Principal, uuid.UUID], Awaitable[models.Membership]]


async def _change_membership(
    info: Info, global_id: strawberry.ID, type_name: str, field: str, change: MembershipChange
) -> MembershipPayload:
    """A membership mutation addressed by one global id."""
    ctx = info.context

    async def run() -> models.Membership:
        return await change(
            ctx.session, ctx.principal, expect_global_id(global_id, type_name, field)
        )

    return _membership_payload(*await guarded(ctx.session, run))


def _membership_payload(
    row: models.Membership | None, errors: list[UserError]
) -> MembershipPayload:
    return MembershipPayload(
        membership=Membership.from_model(row) if row else None,
        user_errors=errors,
    )
