"""Reading plans: the getters and selections of what a principal may see."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import Select, and_

from auth import policy
from auth.principal import Principal
from auth.scopes import Scope
from db.enums import MilestoneStatus
from db.portfolio import Milestone, Plan, PlanVersion
from db.session import LockedSession
from portal.kernel.checks import today_of
from portal.kernel.errors import Forbidden, NotFound
from portal.kernel.lookup import get_visible
from portal.plans.rules import (
    OPEN_MILESTONE,
    Content,
    VersionDiff,
    diff_versions,
)


def require_read(principal: Principal) -> None:
    policy.require_scope(principal, Scope.PLANS_READ)


def require_write(principal: Principal) -> None:
    policy.require_scope(principal, Scope.PLANS_WRITE)


async def get_plan(
    session: LockedSession,
    principal: Principal,
    plan_id: uuid.UUID,
    *,
    field: str = "plan",
) -> Plan:
    """A plan the principal may read, or ``NotFound`` (also when it exists out of view)."""
    return await get_visible(
        session, policy.visible_plans(principal), plan_id, what="plan", field=field
    )


async def current_version(session: LockedSession, principal: Principal, plan: Plan) -> PlanVersion:
    """The plan's current version (every plan has one from its creation)."""
    row = await session.scalar(
        policy.visible_plan_versions(principal).where(
            PlanVersion.plan_id == plan.id, PlanVersion.number == plan.version
        )
    )
    if row is None:
        raise LookupError(f"plan {plan.id} lacks its version {plan.version}")
    return row


async def get_version(
    session: LockedSession,
    principal: Principal,
    plan_version_id: uuid.UUID,
    *,
    field: str = "planVersion",
) -> PlanVersion:
    """A version of a plan the principal may read, or ``NotFound``."""
    return await get_visible(
        session,
        policy.visible_plan_versions(principal),
        plan_version_id,
        what="plan version",
        field=field,
    )


async def compare(
    session: LockedSession,
    principal: Principal,
    plan_id: uuid.UUID,
    from_number: int,
    to_number: int,
) -> VersionDiff:
    """What changed between two versions of a visible plan (``NotFound`` when the plan or
    either version does not exist)."""
    require_read(principal)
    plan = await get_plan(session, principal, plan_id)
    rows = {
        row.number: row
        for row in await session.scalars(
            policy.visible_plan_versions(principal).where(
                PlanVersion.plan_id == plan.id, PlanVersion.number.in_({from_number, to_number})
            )
        )
    }
    for number, field in ((from_number, "from"), (to_number, "to")):
        if number not in rows:
            raise NotFound(f"the plan has no version {number}", field=field)
    old, new = rows[from_number], rows[to_number]
    return diff_versions(
        from_number,
        Content(old.title, old.summary, old.body),
        to_number,
        Content(new.title, new.summary, new.body),
    )


def milestones_query(
    principal: Principal,
    *,
    alliance_id: uuid.UUID | None = None,
    plan_id: uuid.UUID | None = None,
    responsible_organisation_id: uuid.UUID | None = None,
    statuses: Sequence[MilestoneStatus] | None = None,
    overdue: bool | None = None,
    now: dt.datetime,
) -> Select[Milestone]:
    """Milestones of plans the principal may read, narrowed by the given conditions;
    ``overdue`` true keeps only overdue ones (:func:`is_overdue` at ``now``), false only
    those that are not."""
    query = policy.visible_milestones(principal)
    if alliance_id is not None:
        query = query.where(Milestone.alliance_id == alliance_id)
    if plan_id is not None:
        query = query.where(Milestone.plan_id == plan_id)
    if responsible_organisation_id is not None:
        query = query.where(Milestone.responsible_organisation_id == responsible_organisation_id)
    if statuses:
        query = query.where(Milestone.status.in_(statuses))
    if overdue is not None:
        late = and_(Milestone.status.in_(OPEN_MILESTONE), Milestone.due_on < today_of(now))
        query = query.where(late if overdue else ~late)
    return query


async def lock_plan(session: LockedSession, principal: Principal, plan: Plan) -> Plan:
    """Lock the plan's row for the rest of the transaction and read its current state."""
    locked = await session.scalar(
        policy.visible_plans(principal)
        .where(Plan.id == plan.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:  # removed from view between the two reads
        raise NotFound("no such plan", field="plan")
    return locked


async def owned_plan(
    session: LockedSession, principal: Principal, plan_id: uuid.UUID, *, action: str
) -> Plan:
    """A visible plan of the principal's organisation, locked; NotFound / Forbidden."""
    require_write(principal)
    plan = await get_plan(session, principal, plan_id)
    if plan.owner_organisation_id != principal.organisation_id:
        raise Forbidden(f"only the plan's owner organisation may {action}")
    return await lock_plan(session, principal, plan)
