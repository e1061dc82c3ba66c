"""A plan's milestones: add, update, and move through their states."""

from __future__ import annotations

import datetime as dt
import uuid

from auth import policy
from auth.principal import Principal
from db.enums import (
    MilestoneKind,
    MilestoneStatus,
    Visibility,
)
from db.governance import Seat, VisibilityGrant
from db.portfolio import Milestone, Plan
from db.session import LockedSession
from portal.kernel.checks import check_version
from portal.kernel.errors import BadInput, Forbidden, NotFound
from portal.kernel.idempotency import create_once
from portal.kernel.lookup import get_visible
from portal.plans.queries import get_plan, owned_plan, require_write
from portal.plans.rules import FINAL, TITLE_MAX, MilestoneChange


async def get_milestone(
    session: LockedSession,
    principal: Principal,
    milestone_id: uuid.UUID,
    *,
    field: str = "milestone",
) -> Milestone:
    """A milestone of a plan the principal may read, or ``NotFound``."""
    return await get_visible(
        session, policy.visible_milestones(principal), milestone_id, what="milestone", field=field
    )


async def _check_responsible(
    session: LockedSession, principal: Principal, plan: Plan, organisation_id: uuid.UUID
) -> None:
    """The responsible organisation must be a current member that can see the plan."""
    field = "responsibleOrganisation"
    if organisation_id == plan.owner_organisation_id:
        return
    member = await session.scalar(
        policy.current_membership(principal, plan.alliance_id, organisation_id)
    )
    if member is None:
        raise BadInput("the organisation is not a current member of the alliance", field=field)
    if plan.visibility is Visibility.COMMITTEE:
        seat = await session.scalar(
            policy.alliance_records(principal, Seat).where(
                Seat.committee_id == plan.visibility_committee_id,
                Seat.organisation_id == organisation_id,
            )
        )
        if seat is None:
            raise BadInput(
                "the organisation holds no seat on the plan's committee, so it cannot see the plan",
                field=field,
            )
    elif plan.visibility is Visibility.ORGANISATIONS:
        grant = await session.scalar(
            policy.alliance_records(principal, VisibilityGrant).where(
                VisibilityGrant.object_id == plan.id,
                VisibilityGrant.organisation_id == organisation_id,
            )
        )
        if grant is None:
            raise BadInput(
                "the organisation is not in the plan's audience, so it cannot see the plan",
                field=field,
            )


def _check_milestone_title(title: str) -> str:
    title = title.strip()
    if not 0 < len(title) <= TITLE_MAX:
        raise BadInput(f"the title must have 1 to {TITLE_MAX} characters", field="title")
    return title


def _check_open_plan(plan: Plan) -> None:
    if plan.status in FINAL:
        raise BadInput(
            f"the plan is {plan.status.value}; its milestones no longer change", field="plan"
        )


async def add_milestone(
    session: LockedSession,
    principal: Principal,
    plan_id: uuid.UUID,
    *,
    kind: MilestoneKind,
    title: str,
    responsible_organisation_id: uuid.UUID,
    due_on: dt.date,
    idempotency_key: str | None = None,
    now: dt.datetime,
) -> Milestone:
    """Add a milestone or deliverable to a plan that is not finished. The owner
    organisation only, with ``plans:write``; the responsible organisation must be a current
    member of the alliance that can see the plan. With an ``idempotency_key``, a replay
    returns the milestone added first (same key, different input: ``Conflict``)."""
    plan = await owned_plan(session, principal, plan_id, action="plan its milestones")

    async def create() -> Milestone:
        _check_open_plan(plan)
        checked_title = _check_milestone_title(title)
        await _check_responsible(session, principal, plan, responsible_organisation_id)
        milestone = Milestone(
            id=uuid.uuid4(),
            alliance_id=plan.alliance_id,
            plan_id=plan.id,
            kind=kind,
            title=checked_title,
            responsible_organisation_id=responsible_organisation_id,
            due_on=due_on,
            status=MilestoneStatus.PLANNED,
            version=1,
            created_at=now,
        )
        session.add(milestone)
        await session.flush()
        return milestone

    async def load(milestone_id: uuid.UUID) -> Milestone:
        return await get_milestone(session, principal, milestone_id)

    return await create_once(
        session,
        principal,
        operation="addMilestone",
        key=idempotency_key,
        payload={
            "plan": str(plan.id),
            "kind": kind.value,
            "title": title,
            "responsible": str(responsible_organisation_id),
            "due_on": due_on.isoformat(),
        },
        create=create,
        load=load,
    )


async def _milestone_and_plan(
    session: LockedSession, principal: Principal, milestone_id: uuid.UUID
) -> tuple[Milestone, Plan]:
    milestone = await get_milestone(session, principal, milestone_id)
    plan = await get_plan(session, principal, milestone.plan_id, field="milestone")
    return milestone, plan


async def _lock_milestone(
    session: LockedSession, principal: Principal, milestone: Milestone
) -> Milestone:
    locked = await session.scalar(
        policy.visible_milestones(principal)
        .where(Milestone.id == milestone.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:
        raise NotFound("no such milestone", field="milestone")
    return locked


async def update_milestone(
    session: LockedSession,
    principal: Principal,
    milestone_id: uuid.UUID,
    *,
    expected_version: int,
    change: MilestoneChange,
) -> Milestone:
    """Change a milestone's kind, title, responsible organisation or due date. The plan's
    owner organisation only, with ``plans:write``; ``expected_version`` must be the
    milestone's current version. Not once the plan is finished."""
    require_write(principal)
    milestone, plan = await _milestone_and_plan(session, principal, milestone_id)
    if plan.owner_organisation_id != principal.organisation_id:
        raise Forbidden("only the plan's owner organisation may change its milestones")
    milestone = await _lock_milestone(session, principal, milestone)
    check_version(milestone.version, expected_version, "milestone")
    _check_open_plan(plan)
    title = _check_milestone_title(change.title) if change.title is not None else None
    if change.responsible_organisation_id is not None:
        await _check_responsible(session, principal, plan, change.responsible_organisation_id)
    updates = {
        "kind": change.kind,
        "title": title,
        "responsible_organisation_id": change.responsible_organisation_id,
        "due_on": change.due_on,
    }
    changed = False
    for name, value in updates.items():
        if value is not None and getattr(milestone, name) != value:
            setattr(milestone, name, value)
            changed = True
    if not changed:
        raise BadInput("the update changes nothing", field="milestone")
    milestone.version += 1
    await session.flush()
    return milestone


async def set_milestone_status(
    session: LockedSession,
    principal: Principal,
    milestone_id: uuid.UUID,
    *,
    expected_version: int,
    status: MilestoneStatus,
    now: dt.datetime,
) -> Milestone:
    """Move a milestone to ``status`` (any other status: work may also be reopened). The
    plan's owner organisation or the milestone's responsible organisation, with
    ``plans:write``; ``expected_version`` must be current. Not once the plan is finished.
    DONE records ``completed_at`` = ``now``; any other status clears it."""
    require_write(principal)
    milestone, plan = await _milestone_and_plan(session, principal, milestone_id)
    if principal.organisation_id not in (
        plan.owner_organisation_id,
        milestone.responsible_organisation_id,
    ):
        raise Forbidden(
            "only the plan's owner or the responsible organisation may set a milestone's status"
        )
    milestone = await _lock_milestone(session, principal, milestone)
    check_version(milestone.version, expected_version, "milestone")
    _check_open_plan(plan)
    if milestone.status is status:
        raise BadInput(f"the milestone is already {status.value}", field="status")
    milestone.status = status
    milestone.completed_at = now if status is MilestoneStatus.DONE else None
    milestone.version += 1
    await session.flush()
    return milestone
