"""What the action items mutations take: their input types."""

from __future__ import annotations

import datetime as dt

import strawberry

OWNER_OR_MANAGER = (
    "The owner organisation, or the secretary or chair of the meeting's committee (either "
    "with a governance:write credential); only an open item, at the version you saw "
    "(CONFLICT otherwise)."
)


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
