"""The action items mutations: their payloads and the resolvers that call the domain."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry

from auth.scopes import Scope
from db import governance as db
from db.models import utcnow
from portal import action_items
from portal.kernel.errors import BadInput
from schema.action_items.inputs import (
    CancelActionItemInput,
    CompleteActionItemInput,
    CreateActionItemInput,
    UpdateActionItemInput,
)
from schema.action_items.types import ActionItem
from schema.context import Info
from schema.kernel.errors import UserError, guarded
from schema.kernel.ids import expect_global_id
from schema.kernel.scopes import Needs


def _user_id(value: strawberry.ID) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise BadInput("not a valid user ID", field="ownerUser") from None


@strawberry.type(description="Result of a change to an action item.")
class ActionItemPayload:
    action_item: ActionItem | None = strawberry.field(description="The item as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


async def _payload(info: Info, action: Callable[[], Awaitable[db.ActionItem]]) -> ActionItemPayload:
    row, errors = await guarded(info.context.session, action)
    if row is None:
        return ActionItemPayload(action_item=None, user_errors=errors)
    with contextlib.suppress(KeyError):  # not loaded yet in this request
        info.context.loaders.action_items.by_id.clear(row.id)
    with contextlib.suppress(KeyError):
        info.context.loaders.action_items.of_meeting.clear(row.meeting_id)
    return ActionItemPayload(action_item=ActionItem.from_model(row), user_errors=errors)


INPUT = "What to change; its description states who may do it and the rules."


@strawberry.type
class Mutations:
    @strawberry.mutation(
        description="Record an action item from a meeting (its committee's secretary or chair).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def create_action_item(
        self,
        info: Info,
        input: Annotated[CreateActionItemInput, strawberry.argument(description=INPUT)],
    ) -> ActionItemPayload:
        ctx = info.context

        async def create() -> db.ActionItem:
            return await action_items.create_action_item(
                ctx.session,
                ctx.principal,
                expect_global_id(input.meeting, "Meeting", "meeting"),
                title=input.title,
                owner_organisation_slug=input.owner_organisation_slug,
                owner_user_id=_user_id(input.owner_user) if input.owner_user else None,
                due_on=input.due_on,
                now=utcnow(),
            )

        return await _payload(info, create)

    @strawberry.mutation(
        description="Change an open action item (its owner, or the secretary or chair).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def update_action_item(
        self,
        info: Info,
        input: Annotated[UpdateActionItemInput, strawberry.argument(description=INPUT)],
    ) -> ActionItemPayload:
        ctx = info.context

        async def update() -> db.ActionItem:
            set_owner_user = input.owner_user is not strawberry.UNSET
            changes = action_items.Changes(
                title=input.title,
                due_on=input.due_on,
                owner_organisation_slug=input.owner_organisation_slug,
                owner_user_id=(
                    _user_id(input.owner_user) if set_owner_user and input.owner_user else None
                ),
                set_owner_user=set_owner_user,
            )
            return await action_items.update_action_item(
                ctx.session,
                ctx.principal,
                expect_global_id(input.action_item, "ActionItem", "actionItem"),
                expected_version=input.version,
                changes=changes,
                now=utcnow(),
            )

        return await _payload(info, update)

    @strawberry.mutation(
        description="Mark an open action item done (its owner, or the secretary or chair).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def complete_action_item(
        self,
        info: Info,
        input: Annotated[CompleteActionItemInput, strawberry.argument(description=INPUT)],
    ) -> ActionItemPayload:
        ctx = info.context

        async def complete() -> db.ActionItem:
            return await action_items.complete_action_item(
                ctx.session,
                ctx.principal,
                expect_global_id(input.action_item, "ActionItem", "actionItem"),
                expected_version=input.version,
                now=utcnow(),
            )

        return await _payload(info, complete)

    @strawberry.mutation(
        description="Cancel an open action item (its owner, or the secretary or chair).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def cancel_action_item(
        self,
        info: Info,
        input: Annotated[CancelActionItemInput, strawberry.argument(description=INPUT)],
    ) -> ActionItemPayload:
        ctx = info.context

        async def cancel() -> db.ActionItem:
            return await action_items.cancel_action_item(
                ctx.session,
                ctx.principal,
                expect_global_id(input.action_item, "ActionItem", "actionItem"),
                expected_version=input.version,
            )

        return await _payload(info, cancel)
