"""Root fields that read action items: filters, orders and resolvers of its lists."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Annotated

import strawberry

from auth.scopes import Scope
from db import governance as db
from db.models import utcnow
from portal import action_items
from portal.kernel.errors import BadInput
from schema.action_items.enums import ActionItemStatus
from schema.action_items.types import ActionItem
from schema.context import Info
from schema.kernel.ids import expect_global_id
from schema.kernel.pagination import (
    Connection,
    Ordering,
    PageArgs,
    paged,
    paginate,
)
from schema.kernel.scopes import Needs


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


@strawberry.input(
    description="Narrow the action item list; omitted fields do not narrow, given ones all "
    "apply. Your organisation's open items: {ownerOrganisation: <viewer.organisation.id>, "
    "statuses: [OPEN]}; yours personally: add ownerUser: <viewer.userId>."
)
class ActionItemFilter:
    committee: strawberry.ID | None = strawberry.field(
        default=None, description="Only items of this committee's meetings."
    )
    owner_organisation: strawberry.ID | None = strawberry.field(
        default=None, description="Only items owned by this organisation (its global ID)."
    )
    owner_user: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only items this person is responsible for: a user ID as viewer.userId "
        "and ActionItem.ownerUserId show it.",
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


def _user_id(value: strawberry.ID) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise BadInput("not a valid user ID", field="ownerUser") from None


@paged
async def resolve_action_items(
    info: Info,
    alliance: Annotated[
        strawberry.ID | None,
        strawberry.argument(
            description="The alliance's ID. Omit it (or give null) to list across every "
            "alliance your organisation is a current member of; an alliance you are not a "
            "member of lists nothing."
        ),
    ] = None,
    filter: Annotated[
        ActionItemFilter | None, strawberry.argument(description="Which action items.")
    ] = None,
    *,
    page: PageArgs,
    order_by: Annotated[
        ActionItemOrder, strawberry.argument(description="Sort order.")
    ] = ActionItemOrder.DUE_ON,
) -> Connection[ActionItem]:
    """Action items of an alliance or of all your organisation's current alliances, e.g.
    the open and overdue ones of a committee or an organisation. Needs governance:read;
    empty for an alliance your organisation is not a current member of."""
    principal = info.context.principal
    chosen = filter or ActionItemFilter()
    query = action_items.list_query(
        principal,
        expect_global_id(alliance, "Alliance", "alliance") if alliance is not None else None,
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
        owner_user_id=_user_id(chosen.owner_user) if chosen.owner_user is not None else None,
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
        page,
        ActionItem.from_model,
    )


@strawberry.type
class Queries:
    action_items: Connection[ActionItem] = strawberry.field(
        resolver=resolve_action_items,
        description="Action items of an alliance or, without alliance, of every alliance "
        "your organisation is a current member of, by due date, with filters for committee, "
        "owner organisation and person, status, due dates and overdue, and keyset "
        "pagination. An alliance your organisation has left drops out. Your organisation's "
        "open items everywhere, soonest due first: "
        "filter: {ownerOrganisation: <viewer.organisation.id>, statuses: [OPEN]}. Needs "
        "governance:read.",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )
