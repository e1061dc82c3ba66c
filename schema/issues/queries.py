"""Root fields that read issues: filters, orders and resolvers of its lists."""

from __future__ import annotations

import enum
from typing import Annotated

import strawberry

from auth.scopes import Scope
from db import governance
from db.models import utcnow
from portal import issues
from portal.kernel.errors import NotFound
from schema.context import Info
from schema.issues.enums import IssueSeverity, IssueStatus
from schema.issues.types import Issue
from schema.kernel.ids import expect_global_id
from schema.kernel.pagination import (
    Connection,
    Ordering,
    PageArgs,
    empty_connection,
    paged,
    paginate,
)
from schema.kernel.scopes import Needs


@strawberry.enum(description="Orders of the issue list.")
class IssueOrder(enum.Enum):
    DUE_AT = strawberry.enum_value("due_at", description="Soonest deadline first.")
    CREATED_AT_DESC = strawberry.enum_value("created_at_desc", description="Newest first.")


ISSUE_ORDERINGS = {
    IssueOrder.DUE_AT: Ordering("due", (governance.Issue.due_at, governance.Issue.id)),
    IssueOrder.CREATED_AT_DESC: Ordering(
        "created_desc", (governance.Issue.created_at, governance.Issue.id), descending=True
    ),
}


@strawberry.input(description="Narrow an alliance's issue list; omitted fields do not narrow.")
class IssueFilter:
    committee: strawberry.ID | None = strawberry.field(
        default=None, description="Only issues held by this committee now."
    )
    statuses: list[IssueStatus] | None = strawberry.field(
        default=None, description="Only issues in these states."
    )
    severities: list[IssueSeverity] | None = strawberry.field(
        default=None, description="Only issues of these severities."
    )
    overdue: bool | None = strawberry.field(
        default=None,
        description="true: only open issues past their deadline; false: only the others.",
    )


@paged
async def resolve_issues(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    filter: Annotated[IssueFilter | None, strawberry.argument(description="Which issues.")] = None,
    *,
    page: PageArgs,
    order_by: Annotated[
        IssueOrder,
        strawberry.argument(description="Sort order: soonest deadline first, or newest first."),
    ] = IssueOrder.DUE_AT,
) -> Connection[Issue]:
    """The alliance's issues you may see. Needs governance:read; an alliance you are not a
    member of has none."""
    principal = info.context.principal
    chosen = filter or IssueFilter()
    try:
        alliance_id = expect_global_id(alliance, "Alliance", "alliance")
        committee_id = (
            expect_global_id(chosen.committee, "Committee", "committee")
            if chosen.committee is not None
            else None
        )
    except NotFound:
        return empty_connection()  # an ID of another type names nothing
    query = issues.alliance_issues(
        principal,
        alliance_id,
        issues.IssueFilter(
            committee_id=committee_id,
            statuses=chosen.statuses,
            severities=chosen.severities,
            overdue=chosen.overdue,
        ),
        now=utcnow(),
    )
    return await paginate(
        info.context.session, query, ISSUE_ORDERINGS[order_by], page, Issue.from_model
    )


@strawberry.type
class Queries:
    issues: Connection[Issue] = strawberry.field(
        resolver=resolve_issues,
        description="Issues of an alliance visible to you, with filters (holding committee, "
        "status, severity, overdue). Needs governance:read.",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )
