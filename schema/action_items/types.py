"""Action items: the ActionItem type, the list of open and overdue items per alliance,
committee and organisation, and the mutations that create and settle them."""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth.scopes import Scope
from db import governance as db
from db.enums import ActionItemStatus
from db.models import utcnow
from portal.action_items import service as action_items
from portal.kernel.errors import BadInput
from schema.context import Info
from schema.kernel.errors import UserError, guarded
from schema.kernel.ids import expect_global_id
from schema.kernel.nodes import AreaNode, load_required
from schema.kernel.pagination import Connection, Ordering, PageRequest, paginate
from schema.kernel.scopes import Needs
from schema.organisations.types import Organisation, load_organisation

if TYPE_CHECKING:
    from schema.committees.types import Committee
    from schema.loaders import Loaders
    from schema.meetings.types import Meeting

strawberry.enum(
    ActionItemStatus,
    name="ActionItemStatus",
    description="Open until its owner or the committee's secretary or chair marks it done "
    "or cancels it.",
)

# --- loaders (per request) ------------------------------------------------------------


# --- the type -------------------------------------------------------------------------


@strawberry.type(
    description="A follow-up agreed in a meeting: owned by a member organisation (and "
    "optionally one of its people), due on a date, open until done or cancelled. Visible to "
    "every current member of the alliance (governance:read)."
)
class ActionItem(AreaNode):
    db_id: relay.NodeID[str]
    committee_id: strawberry.Private[uuid.UUID]
    meeting_id: strawberry.Private[uuid.UUID]
    owner_organisation_id: strawberry.Private[uuid.UUID]
    title: str = strawberry.field(description="What is to be done.")
    owner_user_id: strawberry.ID | None = strawberry.field(
        description="The person of the owner organisation responsible, if one is named "
        "(the user's ID as viewer.userId shows it)."
    )
    due_on: dt.date = strawberry.field(description="When it is due.")
    status: ActionItemStatus = strawberry.field(description="Open, done or cancelled.")
    completed_at: dt.datetime | None = strawberry.field(description="When it was marked done.")
    version: int = strawberry.field(
        description="Changes with every edit; send it back with updateActionItem, "
        "completeActionItem and cancelActionItem."
    )
    created_at: dt.datetime = strawberry.field(description="When it was recorded.")

    @classmethod
    def from_model(cls, row: db.ActionItem) -> ActionItem:
        return cls(
            db_id=str(row.id),
            committee_id=row.committee_id,
            meeting_id=row.meeting_id,
            owner_organisation_id=row.owner_organisation_id,
            title=row.title,
            owner_user_id=strawberry.ID(str(row.owner_user_id)) if row.owner_user_id else None,
            due_on=row.due_on,
            status=row.status,
            completed_at=row.completed_at,
            version=row.version,
            created_at=row.created_at,
        )

    @strawberry.field(description="Open and due before today (UTC).")
    def overdue(self) -> bool:
        return self.status is ActionItemStatus.OPEN and self.due_on < action_items.today(utcnow())

    @strawberry.field(description="The member organisation that owns the item.")
    async def owner_organisation(self, info: Info) -> Organisation:
        return await load_organisation(info, self.owner_organisation_id)

    @strawberry.field(description="The meeting the item was agreed in.")
    async def meeting(
        self, info: Info
    ) -> Annotated[Meeting, strawberry.lazy("schema.meetings.types")]:
        return await load_required(info, info.context.loaders.meetings.by_id, self.meeting_id)

    @strawberry.field(description="The committee of that meeting.")
    async def committee(
        self, info: Info
    ) -> Annotated[Committee, strawberry.lazy("schema.committees.types")]:
        return await load_required(info, info.context.loaders.committees.by_id, self.committee_id)

    read_scope = Scope.GOVERNANCE_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.action_items.by_id


async def load_action_items_of_meeting(info: Info, meeting_id: uuid.UUID) -> list[ActionItem]:
    """A meeting's action items by due date (batched per request: one statement for the
    action items of every meeting in the response)."""
    rows = await info.context.loaders.action_items.of_meeting.load(meeting_id)
    return [ActionItem.from_model(row) for row in rows]


# --- the list -------------------------------------------------------------------------


@strawberry.enum(description="Orders of the action item list.")
class ActionItemOrder(enum.Enum):
    DUE_ON = "due_on"
    DUE_ON_DESC = "due_on_desc"


ACTION_ITEM_ORDERINGS = {
    ActionItemOrder.DUE_ON: Ordering("due_on", (db.ActionItem.due_on, db.ActionItem.id)),
    ActionItemOrder.DUE_ON_DESC: Ordering(
        "due_on_desc", (db.ActionItem.due_on, db.ActionItem.id), descending=True
    ),
}


@strawberry.input(description="Narrow the action item list.")
class ActionItemFilter:
    committee: strawberry.ID | None = strawberry.field(
        default=None, description="Only items of this committee's meetings."
    )
    owner_organisation: strawberry.ID | None = strawberry.field(
        default=None, description="Only items owned by this organisation."
    )
    statuses: list[ActionItemStatus] | None = strawberry.field(
        default=None, description="Only items in these states."
    )
    overdue: bool | None = strawberry.field(
        default=None,
        description="true: only open items due before today (UTC); false: only the others.",
    )
    due_before: dt.date | None = strawberry.field(
        default=None, description="Only items due before this day (exclusive)."
    )
    due_after: dt.date | None = strawberry.field(
        default=None, description="Only items due after this day (exclusive)."
    )


async def resolve_action_items(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    filter: Annotated[
        ActionItemFilter | None, strawberry.argument(description="Which action items.")
    ] = None,
    first: Annotated[int | None, strawberry.argument(description="Page size (max 100).")] = None,
    after: Annotated[str | None, strawberry.argument(description="Cursor to start after.")] = None,
    last: Annotated[int | None, strawberry.argument(description="Page size from the end.")] = None,
    before: Annotated[str | None, strawberry.argument(description="Cursor to end before.")] = None,
    order_by: Annotated[
        ActionItemOrder, strawberry.argument(description="Sort order.")
    ] = ActionItemOrder.DUE_ON,
) -> Connection[ActionItem]:
    """Action items of an alliance, e.g. the open and overdue ones of a committee or an
    organisation. Needs governance:read; empty for an alliance your organisation is not a
    current member of."""
    principal = info.context.principal
    chosen = filter or ActionItemFilter()
    query = action_items.list_query(
        principal,
        expect_global_id(alliance, "Alliance", "alliance"),
        committee_id=(
            expect_global_id(chosen.committee, "Committee", "committee")
            if chosen.committee is not None
            else None
        ),
        owner_organisation_id=(
            expect_global_id(chosen.owner_organisation, "Organisation", "ownerOrganisation")
            if chosen.owner_organisation is not None
            else None
        ),
        statuses=chosen.statuses,
        overdue=chosen.overdue,
        due_before=chosen.due_before,
        due_after=chosen.due_after,
        now=utcnow(),
    )
    return await paginate(
        info.context.session,
        query,
        ACTION_ITEM_ORDERINGS[order_by],
        PageRequest(first=first, after=after, last=last, before=before),
        ActionItem.from_model,
    )


@strawberry.type
class Queries:
    action_items: Connection[ActionItem] = strawberry.field(
        resolver=resolve_action_items,
        description="Action items of an alliance, by due date, with filters for committee, "
        "owner organisation, status and overdue. Needs governance:read.",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )


# --- mutations ------------------------------------------------------------------------

OWNER_OR_MANAGER = (
    "The owner organisation, or the secretary or chair of the meeting's committee (either "
    "with a governance:write credential); only an open item, at the version you saw "
    "(CONFLICT otherwise)."
)


def _user_id(value: strawberry.ID) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise BadInput("not a valid user ID", field="ownerUser") from None


@strawberry.input(
    description="Record an action item from a meeting. The secretary or the chair of the "
    "meeting's committee (with governance:write). The owner organisation must be a current "
    "member of the alliance; the owner user, if given, one of its people whom you can see "
    "(you see the people of your own organisation: any other is NOT_FOUND on ownerUser)."
)
class CreateActionItemInput:
    meeting: strawberry.ID = strawberry.field(description="The meeting's ID (not cancelled).")
    title: str = strawberry.field(description="What is to be done (1-200 characters).")
    owner_organisation_slug: str = strawberry.field(
        description="Slug of the member organisation that owns the item."
    )
    owner_user: strawberry.ID | None = strawberry.field(
        default=None, description="The responsible person's user ID (as viewer.userId)."
    )
    due_on: dt.date = strawberry.field(description="When it is due; today (UTC) or later.")


@strawberry.input(
    description="Change an open action item. "
    + OWNER_OR_MANAGER
    + " Only the secretary or chair hands it to another organisation, which clears the owner "
    "user unless a new one is given. Omitted fields stay as they are."
)
class UpdateActionItemInput:
    action_item: strawberry.ID = strawberry.field(description="The action item's ID.")
    version: int = strawberry.field(
        description="The version you edited; if it changed meanwhile you get CONFLICT."
    )
    title: str | None = strawberry.field(default=None, description="A new title.")
    due_on: dt.date | None = strawberry.field(
        default=None, description="A new due date; today (UTC) or later."
    )
    owner_organisation_slug: str | None = strawberry.field(
        default=None, description="Slug of another member organisation to own the item."
    )
    owner_user: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="A new responsible person of the owner organisation whom you can see; "
        "null removes the person, omitted keeps it.",
    )


@strawberry.input(description="Mark an open action item done. " + OWNER_OR_MANAGER)
class CompleteActionItemInput:
    action_item: strawberry.ID = strawberry.field(description="The action item's ID.")
    version: int = strawberry.field(
        description="The version you saw; if it changed meanwhile you get CONFLICT."
    )


@strawberry.input(description="Cancel an open action item. " + OWNER_OR_MANAGER)
class CancelActionItemInput:
    action_item: strawberry.ID = strawberry.field(description="The action item's ID.")
    version: int = strawberry.field(
        description="The version you saw; if it changed meanwhile you get CONFLICT."
    )


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


NODE_TYPES: dict[str, type[relay.Node]] = {"ActionItem": ActionItem}
