"""Root fields that read minutes: filters, orders and resolvers of its lists."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Annotated, Any

import strawberry
from sqlalchemy import Select, false

from auth import policy
from auth.scopes import Scope
from db import governance as db
from portal.kernel.errors import DomainError, ErrorCode
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
from schema.minutes.enums import MinutesStatus
from schema.minutes.types import Minutes

MINUTES_BY_CREATION = Ordering("minutes_created", (db.Minutes.created_at, db.Minutes.id))
MINUTES_BY_CREATION_DESC = Ordering(
    "minutes_created_desc", (db.Minutes.created_at, db.Minutes.id), descending=True
)


async def load_minutes_of_meeting(info: Info, meeting_id: uuid.UUID) -> Minutes | None:
    """The minutes of a meeting, or None when it has none the caller may see (or the
    credential lacks governance:read). Batched: one statement for many meetings."""
    if not info.context.principal.has(Scope.GOVERNANCE_READ):
        return None
    rows = await info.context.loaders.minutes.of_meeting.load(meeting_id)
    return Minutes.from_model(rows[0]) if rows else None


@strawberry.enum(description="Orders of a list of minutes.")
class MinutesOrder(enum.Enum):
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "created_at_desc"


MINUTES_ORDERINGS = {
    MinutesOrder.CREATED_AT: MINUTES_BY_CREATION,
    MinutesOrder.CREATED_AT_DESC: MINUTES_BY_CREATION_DESC,
}


@strawberry.input(description="Narrow a list of minutes; all given conditions apply.")
class MinutesFilter:
    alliance: strawberry.ID | None = strawberry.field(
        default=None, description="Only minutes of this alliance."
    )
    committee: strawberry.ID | None = strawberry.field(
        default=None, description="Only minutes of this committee's meetings."
    )
    meeting: strawberry.ID | None = strawberry.field(
        default=None, description="Only the minutes of this meeting."
    )
    statuses: list[MinutesStatus] | None = strawberry.field(
        default=None, description="Only minutes in these states."
    )
    meetings_from: dt.datetime | None = strawberry.field(
        default=None, description="Only minutes of meetings starting at or after this moment."
    )
    meetings_before: dt.datetime | None = strawberry.field(
        default=None, description="Only minutes of meetings starting before this moment."
    )
    objection_deadline_before: dt.datetime | None = strawberry.field(
        default=None,
        description="Only minutes whose objection period ends before this moment (circulated "
        "ones, and approved ones that were circulated).",
    )


def _filtered(info: Info, chosen: MinutesFilter) -> Select[Any]:
    principal = info.context.principal
    query = policy.visible_minutes(principal)
    for value, type_name, field, column in (
        (chosen.alliance, "Alliance", "alliance", db.Minutes.alliance_id),
        (chosen.committee, "Committee", "committee", db.Minutes.committee_id),
        (chosen.meeting, "Meeting", "meeting", db.Minutes.meeting_id),
    ):
        if value is not None:
            try:
                query = query.where(column == expect_global_id(value, type_name, field))
            except DomainError as error:
                if error.code is not ErrorCode.NOT_FOUND:
                    raise
                query = query.where(false())  # an ID of another type names nothing
    if chosen.statuses:
        query = query.where(db.Minutes.status.in_(chosen.statuses))
    if chosen.meetings_from is not None or chosen.meetings_before is not None:
        meetings = policy.alliance_records(principal, db.Meeting).with_only_columns(db.Meeting.id)
        if chosen.meetings_from is not None:
            meetings = meetings.where(db.Meeting.starts_at >= chosen.meetings_from)
        if chosen.meetings_before is not None:
            meetings = meetings.where(db.Meeting.starts_at < chosen.meetings_before)
        query = query.where(db.Minutes.meeting_id.in_(meetings))
    if chosen.objection_deadline_before is not None:
        query = query.where(db.Minutes.objection_deadline < chosen.objection_deadline_before)
    return query


@paged
async def resolve_minutes(
    info: Info,
    page: PageArgs,
    filter: Annotated[
        MinutesFilter | None, strawberry.argument(description="Which minutes.")
    ] = None,
    order_by: Annotated[
        MinutesOrder, strawberry.argument(description="Sort order (newest first by default).")
    ] = MinutesOrder.CREATED_AT_DESC,
) -> Connection[Minutes]:
    """Minutes the caller's organisation may see, across its alliances. Needs
    governance:read."""
    query = _filtered(info, filter or MinutesFilter())
    return await paginate(
        info.context.session, query, MINUTES_ORDERINGS[order_by], page, Minutes.from_model
    )


async def resolve_minutes_of_meeting(
    info: Info,
    meeting: Annotated[strawberry.ID, strawberry.argument(description="The meeting's ID.")],
) -> Minutes | None:
    """The minutes of a meeting; null when it has none or the caller may not see them.
    Needs governance:read."""
    try:
        meeting_id = expect_global_id(meeting, "Meeting", "meeting")
    except DomainError as error:
        if error.code is ErrorCode.NOT_FOUND:
            return None
        raise
    return await load_minutes_of_meeting(info, meeting_id)


@strawberry.type
class Queries:
    minutes: Connection[Minutes] = strawberry.field(
        resolver=resolve_minutes,
        description="Minutes your organisation may see, filtered by alliance, committee, "
        "meeting, state, meeting dates or objection deadline. Needs governance:read.",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )
    minutes_of_meeting: Minutes | None = strawberry.field(
        resolver=resolve_minutes_of_meeting,
        description="The minutes of one meeting, if it has any you may see.",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )
