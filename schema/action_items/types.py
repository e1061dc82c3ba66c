"""Action items: the ActionItem type, the list of open and overdue items per alliance,
committee and organisation, and the mutations that create and settle them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth.scopes import Scope
from db import governance as db
from db.models import utcnow
from portal.kernel.checks import today_of
from schema.action_items.enums import ActionItemStatus
from schema.context import Info
from schema.kernel.nodes import AreaNode, load_required
from schema.organisations.types import Organisation, load_organisation

if TYPE_CHECKING:
    from schema.committees.types import Committee
    from schema.loaders import Loaders
    from schema.meetings.types import Meeting


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
        return self.status is ActionItemStatus.OPEN and self.due_on < today_of(utcnow())

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


NODE_TYPES: dict[str, type[relay.Node]] = {"ActionItem": ActionItem}
