"""The minutes mutations: their payloads and the resolvers that call the domain."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry

from auth.scopes import Scope
from db import governance as db
from db.models import utcnow
from portal import minutes as domain
from schema.context import Info
from schema.kernel.errors import INPUT_DESCRIPTION, UserError, guarded
from schema.kernel.ids import expect_global_id
from schema.kernel.scopes import Needs
from schema.minutes.inputs import (
    ApproveMinutesInput,
    CirculateMinutesInput,
    DraftMinutesInput,
    EditMinutesInput,
    ObjectToMinutesInput,
)
from schema.minutes.types import Minutes


@strawberry.type(description="Result of a change to minutes.")
class MinutesPayload:
    minutes: Minutes | None = strawberry.field(description="The minutes as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


async def _payload(info: Info, action: Callable[[], Awaitable[db.Minutes]]) -> MinutesPayload:
    row, errors = await guarded(info.context.session, action)
    return MinutesPayload(minutes=Minutes.from_model(row) if row else None, user_errors=errors)


def _minutes_id(value: strawberry.ID) -> uuid.UUID:
    return expect_global_id(value, "Minutes", "minutes")


@strawberry.type
class Mutations:
    @strawberry.mutation(
        description="Draft the minutes of a meeting (the committee's secretary).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def draft_minutes(
        self,
        info: Info,
        input: Annotated[DraftMinutesInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> MinutesPayload:
        ctx = info.context

        async def draft() -> db.Minutes:
            meeting_id = expect_global_id(input.meeting, "Meeting", "meeting")
            return await domain.draft_minutes(
                ctx.session,
                ctx.principal,
                meeting_id,
                body=input.body,
                audience=domain.Audience(input.visibility, tuple(input.audience or ())),
                now=utcnow(),
            )

        return await _payload(info, draft)

    @strawberry.mutation(
        description="Edit draft minutes with optimistic concurrency (the secretary).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def edit_minutes(
        self,
        info: Info,
        input: Annotated[EditMinutesInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> MinutesPayload:
        ctx = info.context

        async def edit() -> db.Minutes:
            return await domain.edit_minutes(
                ctx.session,
                ctx.principal,
                _minutes_id(input.minutes),
                expected_version=input.version,
                body=input.body,
                now=utcnow(),
            )

        return await _payload(info, edit)

    @strawberry.mutation(
        description="Circulate draft minutes to the seat holders (the secretary).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def circulate_minutes(
        self,
        info: Info,
        input: Annotated[CirculateMinutesInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> MinutesPayload:
        ctx = info.context

        async def circulate() -> db.Minutes:
            return await domain.circulate_minutes(
                ctx.session,
                ctx.principal,
                _minutes_id(input.minutes),
                expected_version=input.version,
                now=utcnow(),
            )

        return await _payload(info, circulate)

    @strawberry.mutation(
        description="Object to circulated minutes, reopening them (any seat holder).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def object_to_minutes(
        self,
        info: Info,
        input: Annotated[ObjectToMinutesInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> MinutesPayload:
        ctx = info.context

        async def object_() -> db.Minutes:
            return await domain.object_to_minutes(
                ctx.session,
                ctx.principal,
                _minutes_id(input.minutes),
                expected_version=input.version,
                reason=input.reason,
                now=utcnow(),
            )

        return await _payload(info, object_)

    @strawberry.mutation(
        description="Approve circulated minutes (the committee's chair).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def approve_minutes(
        self,
        info: Info,
        input: Annotated[ApproveMinutesInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> MinutesPayload:
        ctx = info.context

        async def approve() -> db.Minutes:
            return await domain.approve_minutes(
                ctx.session,
                ctx.principal,
                _minutes_id(input.minutes),
                expected_version=input.version,
                note=input.note,
                now=utcnow(),
            )

        return await _payload(info, approve)
