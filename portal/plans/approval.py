"""Approving a plan version through a committee decision."""

from __future__ import annotations

import uuid

from auth.principal import Principal
from db.enums import (
    DecisionOutcome,
    DecisionStatus,
    PlanStatus,
)
from db.governance import Decision
from db.session import LockedSession
from portal.kernel.errors import BadInput, Conflict
from portal.plans.queries import get_plan, get_version, lock_plan, require_read
from portal.plans.rules import SUBJECT_TYPE


async def check_plan_version_decidable(
    session: LockedSession, principal: Principal, plan_version_id: uuid.UUID
) -> None:
    """May a decision be put to a committee about approving this plan version?

    Called when a decision naming the version as its subject is recorded. The version must
    be visible to the principal (``NotFound``, field ``subject``), with ``plans:read``;
    its plan must be PROPOSED (``BadInput``) and the version must be the plan's current
    one (``Conflict``): a committee votes on what the owner put forward."""
    require_read(principal)
    version = await get_version(session, principal, plan_version_id, field="subject")
    plan = await get_plan(session, principal, version.plan_id, field="subject")
    if plan.status is not PlanStatus.PROPOSED:
        raise BadInput(
            f"the plan is {plan.status.value}; only a proposed plan is put to the vote",
            field="subject",
        )
    if plan.version != version.number:
        raise Conflict(
            f"version {version.number} is not the plan's current version "
            f"({plan.version}); put the current version to the vote",
            field="subject",
        )


async def approve_by_decision(
    session: LockedSession, principal: Principal, decision: Decision
) -> None:
    """Approve the plan version a decision names, as the decision's outcome.

    Called when a decision whose ``subject_type`` is ``"PlanVersion"`` closes APPROVED; the
    decisions code has already checked that the principal may close it (the committee's
    chair, ``policy.APPROVERS``, with ``governance:write``), so no plans scope is required
    here. The version must be visible to the principal and belong to the decision's
    alliance. If the plan was revised after the version was put to the vote, approving it
    is refused (``Conflict``): a stale version is never approved. The plan must still be
    PROPOSED.
    Sets the status APPROVED, ``approved_version`` and ``approved_by_decision_id``; the
    moment is the decision's ``closed_at``."""
    if decision.subject_type != SUBJECT_TYPE or decision.subject_id is None:
        raise BadInput("the decision is not about a plan version", field="decision")
    if decision.status is not DecisionStatus.CLOSED or decision.outcome is not (
        DecisionOutcome.APPROVED
    ):
        raise BadInput("only a decision closed as APPROVED approves a plan", field="decision")
    version = await get_version(session, principal, decision.subject_id, field="decision")
    if version.alliance_id != decision.alliance_id:
        raise BadInput("the plan belongs to another alliance", field="decision")
    plan = await lock_plan(
        session, principal, await get_plan(session, principal, version.plan_id, field="decision")
    )
    if plan.version != version.number:
        raise Conflict(
            "the plan was revised after this version was put to the vote "
            f"(version {version.number} voted, version {plan.version} current)",
            field="decision",
        )
    if plan.status is not PlanStatus.PROPOSED:
        raise Conflict(
            f"the plan is {plan.status.value}; only a proposed plan is approved",
            field="decision",
        )
    plan.status = PlanStatus.APPROVED
    plan.approved_version = version.number
    plan.approved_by_decision_id = decision.id
    if decision.closed_at is not None:
        plan.updated_at = decision.closed_at
    await session.flush()
