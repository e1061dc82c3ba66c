"""Root fields that read plans: filters, orders and resolvers of its lists."""

from __future__ import annotations

import enum
from types import SimpleNamespace
from typing import Annotated, Any

import strawberry
from sqlalchemy import Select, and_, false, or_, tuple_
from sqlalchemy.orm import aliased

from auth import policy
from auth.scopes import Scope
from db import portfolio as db
from db.models import utcnow
from db.session import LockedSession
from portal import plans as domain
from portal.kernel.checks import escape_like
from portal.kernel.errors import NotFound
from schema.context import Info
from schema.kernel.ids import expect_global_id
from schema.kernel.pagination import (
    Connection,
    Edge,
    Ordering,
    PageArgs,
    PageInfo,
    PageRequest,
    decode_cursor,
    empty_connection,
    encode_cursor,
    paged,
    paginate,
)
from schema.kernel.scopes import Needs
from schema.plans.enums import MilestoneStatus, PlanStatus
from schema.plans.types import Milestone, Plan


@strawberry.enum(description="Orders of the plan list.")
class PlanOrder(enum.Enum):
    UPDATED_AT_DESC = "updated_at_desc"
    TITLE = "title"


@strawberry.input(description="Narrow the plan list; all given conditions apply.")
class PlanFilter:
    statuses: list[PlanStatus] | None = strawberry.field(
        default=None, description="Only plans in these states."
    )
    owner_organisation: strawberry.ID | None = strawberry.field(
        default=None, description="Only plans owned by this organisation (its ID)."
    )
    search: str | None = strawberry.field(
        default=None,
        description="Case-insensitive text in the current version's title or summary.",
    )


async def _page_by_title(
    session: LockedSession,
    query: Select[Any],
    title: Any,
    page: PageRequest,
) -> Connection[Plan]:
    """Keyset pagination on (current title, id): the title lives in the current version
    (``title``, a column of the joined version), so cursors are built here from both."""
    ordering = Ordering("plan_title", (title, db.Plan.id))
    size = page.size()
    keys = tuple_(title, db.Plan.id)
    clauses = []
    if page.after is not None:
        clauses.append(keys > tuple_(*decode_cursor(ordering, page.after, "after")))
    if page.before is not None:
        clauses.append(keys < tuple_(*decode_cursor(ordering, page.before, "before")))
    reverse = page.backwards
    order = [title.desc(), db.Plan.id.desc()] if reverse else [title.asc(), db.Plan.id.asc()]
    statement = query.add_columns(title).where(*clauses).order_by(*order).limit(size + 1)
    rows = list((await session.execute(statement)).all())
    more = len(rows) > size
    rows = rows[:size]
    if reverse:
        rows.reverse()
        has_next, has_previous = page.before is not None, more
    else:
        has_next, has_previous = more, page.after is not None
    edges = [
        Edge(
            node=Plan.from_model(plan),
            cursor=encode_cursor(ordering, SimpleNamespace(title=text, id=plan.id)),
        )
        for plan, text in rows
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


PLANS_BY_UPDATE = Ordering("plan_updated_desc", (db.Plan.updated_at, db.Plan.id), descending=True)


@paged
async def resolve_plans(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    filter: Annotated[PlanFilter | None, strawberry.argument(description="Which plans.")] = None,
    *,
    page: PageArgs,
    order_by: Annotated[
        PlanOrder,
        strawberry.argument(
            description="UPDATED_AT_DESC (most recently changed first, then by ID) or TITLE "
            "(by the current version's title, then by ID)."
        ),
    ] = PlanOrder.UPDATED_AT_DESC,
) -> Connection[Plan]:
    """Plans of an alliance that the caller may see. Needs plans:read."""
    principal = info.context.principal
    chosen = filter or PlanFilter()
    try:
        page.size()
        alliance_id = expect_global_id(alliance, "Alliance", "alliance")
        current = aliased(
            db.PlanVersion, policy.visible_plan_versions(principal).subquery("current_version")
        )
        query = (
            policy.visible_plans(principal)
            .join(
                current,
                and_(current.plan_id == db.Plan.id, current.number == db.Plan.version),
            )
            .where(db.Plan.alliance_id == alliance_id)
        )
        if chosen.statuses:
            query = query.where(db.Plan.status.in_(chosen.statuses))
        if chosen.owner_organisation is not None:
            try:
                owner_id = expect_global_id(
                    chosen.owner_organisation, "Organisation", "ownerOrganisation"
                )
                query = query.where(db.Plan.owner_organisation_id == owner_id)
            except NotFound:
                query = query.where(false())
        if chosen.search:
            pattern = f"%{escape_like(chosen.search)}%"
            query = query.where(or_(current.title.ilike(pattern), current.summary.ilike(pattern)))
        if order_by is PlanOrder.TITLE:
            return await _page_by_title(info.context.session, query, current.title, page)
        return await paginate(info.context.session, query, PLANS_BY_UPDATE, page, Plan.from_model)
    except NotFound:
        return empty_connection()  # an ID of another type names nothing: nothing matches


@strawberry.input(description="Narrow the milestone list; all given conditions apply.")
class MilestoneFilter:
    overdue: bool | None = strawberry.field(
        default=None,
        description="True: only overdue milestones (neither done nor cancelled, due before "
        "today in UTC); false: only those that are not.",
    )
    responsible_organisation: strawberry.ID | None = strawberry.field(
        default=None, description="Only milestones this organisation is responsible for."
    )
    plan: strawberry.ID | None = strawberry.field(
        default=None, description="Only milestones of this plan."
    )
    statuses: list[MilestoneStatus] | None = strawberry.field(
        default=None, description="Only milestones in these states."
    )


MILESTONES_BY_DUE = Ordering("milestone_due", (db.Milestone.due_on, db.Milestone.id))


@paged
async def resolve_milestones(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    filter: Annotated[
        MilestoneFilter | None, strawberry.argument(description="Which milestones.")
    ] = None,
    *,
    page: PageArgs,
) -> Connection[Milestone]:
    """Milestones of the alliance's plans the caller may see, soonest due first. Needs
    plans:read."""
    principal = info.context.principal
    chosen = filter or MilestoneFilter()
    now = utcnow()
    today = domain.today_of(now)
    try:
        page.size()
        alliance_id = expect_global_id(alliance, "Alliance", "alliance")
        query = domain.milestones_query(
            principal,
            alliance_id=alliance_id,
            plan_id=(
                expect_global_id(chosen.plan, "Plan", "plan") if chosen.plan is not None else None
            ),
            responsible_organisation_id=(
                expect_global_id(
                    chosen.responsible_organisation, "Organisation", "responsibleOrganisation"
                )
                if chosen.responsible_organisation is not None
                else None
            ),
            statuses=chosen.statuses,
            overdue=chosen.overdue,
            now=now,
        )
        return await paginate(
            info.context.session,
            query,
            MILESTONES_BY_DUE,
            page,
            lambda row: Milestone.from_model(row, today=today),
        )
    except NotFound:
        return empty_connection()


@strawberry.type
class Queries:
    plans: Connection[Plan] = strawberry.field(
        resolver=resolve_plans,
        description="Research plans of an alliance you belong to that you may see, filtered "
        "and ordered (plans:read). An alliance you are not a member of has none for you.",
        extensions=[Needs(Scope.PLANS_READ)],
    )
    milestones: Connection[Milestone] = strawberry.field(
        resolver=resolve_milestones,
        description="Milestones and deliverables of the plans of an alliance you may see, "
        "soonest due first; filter overdue: true for the overdue ones (plans:read).",
        extensions=[Needs(Scope.PLANS_READ)],
    )
