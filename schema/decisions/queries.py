"""Root fields that read decisions: filters, orders and resolvers of its lists."""

from __future__ import annotations

import enum
from typing import Annotated, Any

import strawberry

from auth import policy
from auth.scopes import Scope
from db import governance
from portal.kernel.errors import NotFound
from schema.context import Info
from schema.decisions.enums import DecisionOutcome, DecisionStatus
from schema.decisions.types import Decision
from schema.kernel.ids import expect_global_id, parse_global_id
from schema.kernel.pagination import (
    Connection,
    Ordering,
    PageArgs,
    empty_connection,
    paged,
    paginate,
)
from schema.kernel.scopes import Needs


@strawberry.enum(description="Orders of the decision list.")
class DecisionOrder(enum.Enum):
    CREATED_AT_DESC = "created_at_desc"


DECISION_ORDERINGS = {
    DecisionOrder.CREATED_AT_DESC: Ordering(
        "created_desc",
        (governance.Decision.created_at, governance.Decision.id),
        descending=True,
    ),
}


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


def _filtered(query: Any, chosen: DecisionFilter) -> Any:
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
    return query


@paged
async def resolve_decisions(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    filter: Annotated[
        DecisionFilter | None, strawberry.argument(description="Which decisions.")
    ] = None,
    *,
    page: PageArgs,
    order_by: Annotated[
        DecisionOrder, strawberry.argument(description="Sort order.")
    ] = DecisionOrder.CREATED_AT_DESC,
) -> Connection[Decision]:
    """Decisions of an alliance, newest first. Needs governance:read; an alliance you are
    not a member of has no decisions for you."""
    principal = info.context.principal
    try:
        page.size()
        alliance_id = expect_global_id(alliance, "Alliance", "alliance")
        query = policy.alliance_records(principal, governance.Decision).where(
            governance.Decision.alliance_id == alliance_id
        )
        query = _filtered(query, filter or DecisionFilter())
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
        description="Decisions of an alliance you belong to, newest first (governance:read).",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )
