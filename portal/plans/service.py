"""The life cycle of plans: create, revise, propose, activate, complete, cancel."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable

from auth import policy
from auth.principal import Principal
from db.enums import (
    MilestoneStatus,
    PlanStatus,
)
from db.portfolio import Milestone, Plan, PlanVersion
from db.session import LockedSession
from portal.kernel.audience import Audience, resolve_audience
from portal.kernel.checks import check_version
from portal.kernel.errors import BadInput
from portal.kernel.idempotency import create_once
from portal.kernel.lookup import require_member
from portal.plans.queries import current_version, get_plan, owned_plan, require_write
from portal.plans.rules import (
    BODY_MAX,
    FINAL,
    OPEN_MILESTONE,
    REVISABLE,
    SUMMARY_MAX,
    TITLE_MAX,
    Content,
)


def _content(content: Content) -> Content:
    title = content.title.strip()
    if not 0 < len(title) <= TITLE_MAX:
        raise BadInput(f"the title must have 1 to {TITLE_MAX} characters", field="title")
    if len(content.summary) > SUMMARY_MAX:
        raise BadInput(f"the summary is limited to {SUMMARY_MAX} characters", field="summary")
    if len(content.body) > BODY_MAX:
        raise BadInput(f"the body is limited to {BODY_MAX} characters", field="body")
    return Content(title, content.summary, content.body)


async def create_plan(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    *,
    content: Content,
    audience: Audience | None = None,
    idempotency_key: str | None = None,
    now: dt.datetime,
) -> Plan:
    """Create a plan in DRAFT with its version 1; the principal's organisation owns it.

    Any current member organisation, with ``plans:write``. ``COMMITTEE`` visibility names
    a committee of the alliance; ``ORGANISATIONS`` lists current member organisations by
    slug (``VisibilityGrant`` rows; the owner is always granted). With an
    ``idempotency_key``, a replay returns the plan created first, and the same key with a
    different input is a ``Conflict``."""
    require_write(principal)
    audience = audience or Audience()
    await require_member(session, principal, alliance_id)

    async def create() -> Plan:
        checked = _content(content)
        resolved = await resolve_audience(
            session,
            principal,
            alliance_id,
            audience,
            at_least_one=False,
            always_sees=principal.organisation_id,
        )
        plan = Plan(
            id=uuid.uuid4(),
            alliance_id=alliance_id,
            owner_organisation_id=principal.organisation_id,
            status=PlanStatus.DRAFT,
            visibility=resolved.visibility,
            visibility_committee_id=resolved.committee_id,
            version=1,
            created_at=now,
            updated_at=now,
        )
        session.add(plan)
        await session.flush()
        session.add_all(resolved.grants(alliance_id, plan.id))
        session.add(_version(principal, plan, 1, checked, now=now))
        await session.flush()
        return plan

    async def load(plan_id: uuid.UUID) -> Plan:
        return await get_plan(session, principal, plan_id)

    return await create_once(
        session,
        principal,
        operation="createPlan",
        key=idempotency_key,
        payload={
            "alliance": str(alliance_id),
            "title": content.title,
            "summary": content.summary,
            "body": content.body,
            "visibility": audience.visibility.value,
            "committee": str(audience.committee_id) if audience.committee_id else None,
            "audience": sorted(audience.organisation_slugs),
        },
        create=create,
        load=load,
    )


def _version(
    principal: Principal, plan: Plan, number: int, content: Content, *, now: dt.datetime
) -> PlanVersion:
    return PlanVersion(
        id=uuid.uuid4(),
        alliance_id=plan.alliance_id,
        plan_id=plan.id,
        number=number,
        title=content.title,
        summary=content.summary,
        body=content.body,
        organisation_id=principal.organisation_id,
        user_id=principal.user_id,
        created_at=now,
    )


async def revise_plan(
    session: LockedSession,
    principal: Principal,
    plan_id: uuid.UUID,
    *,
    expected_version: int,
    title: str | None = None,
    summary: str | None = None,
    body: str | None = None,
    now: dt.datetime,
) -> Plan:
    """Write version n+1 of a plan; omitted fields are carried over from version n.

    The owner organisation only, with ``plans:write``; ``expected_version`` must be the
    current version (``Conflict`` otherwise). Only while DRAFT, PROPOSED or APPROVED; the
    plan goes back to DRAFT (a proposal or approval was of the previous version), and
    ``approved_version`` stays as it is. A revision that changes nothing is refused."""
    plan = await owned_plan(session, principal, plan_id, action="revise it")
    check_version(plan.version, expected_version, "plan")
    if plan.status not in REVISABLE:
        raise BadInput(f"a {plan.status.value} plan is no longer revised", field="plan")
    current = await current_version(session, principal, plan)
    revised = _content(
        Content(
            title if title is not None else current.title,
            summary if summary is not None else current.summary,
            body if body is not None else current.body,
        )
    )
    if revised == Content(current.title, current.summary, current.body):
        raise BadInput("the revision changes nothing", field="plan")
    session.add(_version(principal, plan, plan.version + 1, revised, now=now))
    plan.version += 1
    plan.status = PlanStatus.DRAFT
    plan.updated_at = now
    await session.flush()
    return plan


async def _transition(
    session: LockedSession,
    principal: Principal,
    plan_id: uuid.UUID,
    *,
    expected_version: int,
    allowed_from: frozenset[PlanStatus],
    to: PlanStatus,
    action: str,
    now: dt.datetime,
    before: Callable[[Plan], Awaitable[None]] | None = None,
) -> Plan:
    """Move an owned plan from one of ``allowed_from`` to ``to``; ``before`` checks
    more, once the plan is locked and in the right state."""
    plan = await owned_plan(session, principal, plan_id, action=action)
    check_version(plan.version, expected_version, "plan")
    if plan.status not in allowed_from:
        names = " or ".join(sorted(status.value for status in allowed_from))
        raise BadInput(
            f"the plan is {plan.status.value}; only a {names} plan can be {to.value}",
            field="plan",
        )
    if before is not None:
        await before(plan)
    plan.status = to
    plan.updated_at = now
    await session.flush()
    return plan


async def propose_plan(
    session: LockedSession,
    principal: Principal,
    plan_id: uuid.UUID,
    *,
    expected_version: int,
    now: dt.datetime,
) -> Plan:
    """Put the current version forward for approval: DRAFT → PROPOSED. The owner only."""
    return await _transition(
        session,
        principal,
        plan_id,
        expected_version=expected_version,
        allowed_from=frozenset({PlanStatus.DRAFT}),
        to=PlanStatus.PROPOSED,
        action="propose it",
        now=now,
    )


async def activate_plan(
    session: LockedSession,
    principal: Principal,
    plan_id: uuid.UUID,
    *,
    expected_version: int,
    now: dt.datetime,
) -> Plan:
    """Start work on an approved plan: APPROVED → ACTIVE. The owner only."""
    return await _transition(
        session,
        principal,
        plan_id,
        expected_version=expected_version,
        allowed_from=frozenset({PlanStatus.APPROVED}),
        to=PlanStatus.ACTIVE,
        action="activate it",
        now=now,
    )


async def complete_plan(
    session: LockedSession,
    principal: Principal,
    plan_id: uuid.UUID,
    *,
    expected_version: int,
    now: dt.datetime,
) -> Plan:
    """Close an active plan: ACTIVE → COMPLETED, once none of its milestones is open
    (each is DONE or CANCELLED). The owner only."""

    async def no_open_milestones(plan: Plan) -> None:
        still_open = (
            await session.scalars(
                policy.visible_milestones(principal).where(
                    Milestone.plan_id == plan.id, Milestone.status.in_(OPEN_MILESTONE)
                )
            )
        ).all()
        if still_open:
            raise BadInput(
                f"{len(still_open)} milestone(s) are still open: mark them done or cancelled first",
                field="plan",
            )

    return await _transition(
        session,
        principal,
        plan_id,
        expected_version=expected_version,
        allowed_from=frozenset({PlanStatus.ACTIVE}),
        to=PlanStatus.COMPLETED,
        action="complete it",
        now=now,
        before=no_open_milestones,
    )


async def cancel_plan(
    session: LockedSession,
    principal: Principal,
    plan_id: uuid.UUID,
    *,
    expected_version: int,
    now: dt.datetime,
) -> Plan:
    """Abandon a plan that is not finished: any state but COMPLETED or CANCELLED →
    CANCELLED. Its open milestones are cancelled with it. The owner only."""
    plan = await _transition(
        session,
        principal,
        plan_id,
        expected_version=expected_version,
        allowed_from=frozenset(PlanStatus) - FINAL,
        to=PlanStatus.CANCELLED,
        action="cancel it",
        now=now,
    )
    for milestone in await session.scalars(
        policy.visible_milestones(principal)
        .where(Milestone.plan_id == plan.id, Milestone.status.in_(OPEN_MILESTONE))
        .with_for_update()
    ):
        milestone.status = MilestoneStatus.CANCELLED
        milestone.version += 1
    await session.flush()
    return plan
