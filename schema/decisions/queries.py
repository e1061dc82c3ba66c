"""Root fields that read decisions: filters, orders and resolvers of its lists."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import json
import uuid
from typing import Annotated, Any

import strawberry
from sqlalchemy import ColumnElement, DateTime, Select, func, literal, literal_column, not_, tuple_

from auth import policy
from auth.principal import Principal
from auth.scopes import Scope
from db import governance
from db.models import utcnow
from db.session import LockedSession
from portal.decisions.queries import awaiting_vote
from portal.kernel.errors import BadInput, NotFound
from schema.context import Info
from schema.decisions.enums import DecisionOutcome, DecisionStatus
from schema.decisions.types import Decision
from schema.kernel.ids import expect_global_id, parse_global_id
from schema.kernel.pagination import (
    Connection,
    Edge,
    Ordering,
    PageArgs,
    PageRequest,
    connection_of,
    empty_connection,
    page_of,
    paged,
    paginate,
)
from schema.kernel.scopes import Needs


@strawberry.enum(description="Orders of the decision list.")
class DecisionOrder(enum.Enum):
    CREATED_AT_DESC = "created_at_desc"
    CLOSES_AT = "closes_at"


DECISION_ORDERINGS = {
    DecisionOrder.CREATED_AT_DESC: Ordering(
        "created_desc",
        (governance.Decision.created_at, governance.Decision.id),
        descending=True,
    ),
}

DEADLINE_ORDERING = "closes_at"
NO_DEADLINE = literal_column("'infinity'::timestamptz", DateTime(timezone=True))
"""The deadline key of a decision without one (taken in a meeting): after every deadline."""
DEADLINE_KEY = func.coalesce(governance.Decision.closes_at, NO_DEADLINE)
"""What CLOSES_AT sorts by first: the deadline, or ``NO_DEADLINE``."""


@strawberry.input(description="Narrow the decision list; all given conditions apply.")
class DecisionFilter:
    committee: strawberry.ID | None = strawberry.field(
        default=None, description="Only decisions of this committee."
    )
    meeting: strawberry.ID | None = strawberry.field(
        default=None, description="Only decisions taken in this meeting."
    )
    statuses: list[DecisionStatus] | None = strawberry.field(
        default=None, description="Only decisions in these states."
    )
    outcomes: list[DecisionOutcome] | None = strawberry.field(
        default=None, description="Only closed decisions with these outcomes."
    )
    subject: strawberry.ID | None = strawberry.field(
        default=None, description="Only decisions about this object (its global ID)."
    )
    awaiting_my_vote: bool | None = strawberry.field(
        default=None,
        description="true: only the decisions awaiting your organisation's vote: OPEN, "
        "before a written procedure's deadline, on a committee where your organisation "
        "holds a voting seat (chair, secretary or member, with voting rights; never an "
        "observer) and has not voted yet; exactly those on which castVote accepts your "
        "organisation's vote. false: only the others. Listing them needs governance:read "
        "only, casting the vote governance:write. Your pending votes across alliances, most "
        "urgent first: decisions(filter: {awaitingMyVote: true}, orderBy: CLOSES_AT).",
    )


def _filtered(query: Any, chosen: DecisionFilter, principal: Principal, now: dt.datetime) -> Any:
    """``query`` narrowed by ``chosen``; ``NotFound`` when an ID names no such object."""
    model = governance.Decision
    if chosen.committee is not None:
        query = query.where(
            model.committee_id == expect_global_id(chosen.committee, "Committee", "committee")
        )
    if chosen.meeting is not None:
        query = query.where(
            model.meeting_id == expect_global_id(chosen.meeting, "Meeting", "meeting")
        )
    if chosen.statuses:
        query = query.where(model.status.in_(chosen.statuses))
    if chosen.outcomes:
        query = query.where(model.outcome.in_(chosen.outcomes))
    if chosen.subject is not None:
        type_name, object_id = parse_global_id(chosen.subject, "subject")
        query = query.where(model.subject_type == type_name, model.subject_id == object_id)
    if chosen.awaiting_my_vote is not None:
        awaiting = awaiting_vote(principal, now)
        query = query.where(awaiting if chosen.awaiting_my_vote else not_(awaiting))
    return query


def _deadline_cursor(row: governance.Decision) -> str:
    closes_at = row.closes_at.isoformat() if row.closes_at is not None else None
    parts = [DEADLINE_ORDERING, closes_at, row.created_at.isoformat(), str(row.id)]
    raw = json.dumps(parts, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _aware(value: Any) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("a moment without its offset")
    return moment


def _deadline_keys(cursor: str, field: str) -> tuple[ColumnElement[Any], ...]:
    """The sort key a CLOSES_AT cursor holds, as SQL values; ``BadInput`` for anything
    that is not such a cursor."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, closes_at, created_at, row_id = json.loads(base64.urlsafe_b64decode(padded))
        if name != DEADLINE_ORDERING:
            raise ValueError("cursor of another ordering")
        deadline = (
            NO_DEADLINE
            if closes_at is None
            else literal(_aware(closes_at), DateTime(timezone=True))
        )
        return (
            deadline,
            literal(_aware(created_at), DateTime(timezone=True)),
            literal(uuid.UUID(row_id)),
        )
    except (ValueError, TypeError, AttributeError, binascii.Error):
        raise BadInput("not a cursor of this list and ordering", field=field) from None


async def _page_by_deadline(
    session: LockedSession, query: Select[Any], page: PageRequest
) -> Connection[Decision]:
    """A keyset page in CLOSES_AT order: by (deadline or ``NO_DEADLINE``, created_at, id),
    all ascending."""
    size = page.size()
    model = governance.Decision
    columns: tuple[Any, ...] = (DEADLINE_KEY, model.created_at, model.id)
    keys = tuple_(*columns)
    clauses = []
    if page.after is not None:
        clauses.append(keys > tuple_(*_deadline_keys(page.after, "after")))
    if page.before is not None:
        clauses.append(keys < tuple_(*_deadline_keys(page.before, "before")))
    reverse = page.backwards
    statement = (
        query.where(*clauses)
        .order_by(*(column.desc() if reverse else column.asc() for column in columns))
        .limit(size + 1)
    )
    rows: list[governance.Decision] = list((await session.scalars(statement)).all())
    rows, has_next, has_previous = page_of(rows, size, page)
    edges = [Edge(node=Decision.from_model(row), cursor=_deadline_cursor(row)) for row in rows]
    return connection_of(edges, has_next, has_previous)


@paged
async def resolve_decisions(
    info: Info,
    alliance: Annotated[
        strawberry.ID | None,
        strawberry.argument(
            description="The alliance's ID. Omit it (or give null) to list across every "
            "alliance your organisation is a current member of; an alliance you are not a "
            "member of, or an ID of another type, lists nothing."
        ),
    ] = None,
    filter: Annotated[
        DecisionFilter | None, strawberry.argument(description="Which decisions.")
    ] = None,
    *,
    page: PageArgs,
    order_by: Annotated[
        DecisionOrder,
        strawberry.argument(
            description="CREATED_AT_DESC (newest first) or CLOSES_AT (soonest deadline "
            "first: written procedures by their deadline, then decisions taken in meetings, "
            "which have none, oldest first)."
        ),
    ] = DecisionOrder.CREATED_AT_DESC,
) -> Connection[Decision]:
    """Decisions of an alliance or of all your organisation's current alliances. Needs
    governance:read; an alliance you are not a member of has no decisions for you."""
    principal = info.context.principal
    try:
        page.size()
        query = policy.alliance_records(principal, governance.Decision)
        if alliance is not None:
            alliance_id = expect_global_id(alliance, "Alliance", "alliance")
            query = query.where(governance.Decision.alliance_id == alliance_id)
        query = _filtered(query, filter or DecisionFilter(), principal, utcnow())
        if order_by is DecisionOrder.CLOSES_AT:
            return await _page_by_deadline(info.context.session, query, page)
        return await paginate(
            info.context.session,
            query,
            DECISION_ORDERINGS[order_by],
            page,
            Decision.from_model,
        )
    except NotFound:
        return empty_connection()  # an ID of another type names nothing: nothing matches


@strawberry.type
class Queries:
    decisions: Connection[Decision] = strawberry.field(
        resolver=resolve_decisions,
        description="Decisions of an alliance you belong to or, without alliance, of every "
        "alliance your organisation is a current member of (an alliance it has left drops "
        "out), with filters, orderings and keyset pagination. Your organisation's pending "
        "votes across alliances, most urgent first: "
        "decisions(filter: {awaitingMyVote: true}, orderBy: CLOSES_AT). Needs "
        "governance:read.",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )
