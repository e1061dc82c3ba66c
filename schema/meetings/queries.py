"""Root fields that read meetings: filters, orders and resolvers of its lists."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

import strawberry

from auth.scopes import Scope
from db import governance as db
from portal import meetings
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
from schema.meetings.enums import MeetingStatus
from schema.meetings.types import Meeting


@strawberry.enum(description="Orders of the meeting list.")
class MeetingOrder(enum.Enum):
    STARTS_AT = "starts_at"
    STARTS_AT_DESC = "starts_at_desc"


MEETING_ORDERINGS = {
    MeetingOrder.STARTS_AT: Ordering("starts_at", (db.Meeting.starts_at, db.Meeting.id)),
    MeetingOrder.STARTS_AT_DESC: Ordering(
        "starts_at_desc", (db.Meeting.starts_at, db.Meeting.id), descending=True
    ),
}


@strawberry.input(description="Narrow the meeting list.")
class MeetingFilter:
    committee: strawberry.ID | None = strawberry.field(
        default=None, description="Only meetings of this committee."
    )
    statuses: list[MeetingStatus] | None = strawberry.field(
        default=None, description="Only meetings in these states."
    )
    from_: dt.datetime | None = strawberry.field(
        default=None, name="from", description="Only meetings starting at or after this time."
    )
    to: dt.datetime | None = strawberry.field(
        default=None, description="Only meetings starting before this time."
    )


@paged
async def resolve_meetings(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    filter: Annotated[
        MeetingFilter | None, strawberry.argument(description="Which meetings.")
    ] = None,
    *,
    page: PageArgs,
    order_by: Annotated[
        MeetingOrder, strawberry.argument(description="Sort order.")
    ] = MeetingOrder.STARTS_AT,
) -> Connection[Meeting]:
    """Meetings of the alliance's committees. Needs governance:read; empty for an alliance
    your organisation is not a current member of."""
    principal = info.context.principal
    chosen = filter or MeetingFilter()
    query = meetings.list_query(
        principal,
        expect_global_id(alliance, "Alliance", "alliance"),
        committee_id=(
            expect_global_id(chosen.committee, "Committee", "committee")
            if chosen.committee is not None
            else None
        ),
        statuses=chosen.statuses,
        starts_from=chosen.from_,
        starts_before=chosen.to,
    )
    return await paginate(
        info.context.session,
        query,
        MEETING_ORDERINGS[order_by],
        page,
        Meeting.from_model,
    )


@strawberry.type
class Queries:
    meetings: Connection[Meeting] = strawberry.field(
        resolver=resolve_meetings,
        description="Meetings of an alliance's committees, by start time. Needs governance:read.",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )
