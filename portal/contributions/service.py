"""The life cycle of contributions: record, update, commit, withdraw, confirm delivery."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from typing import Any

from auth import policy
from auth.principal import Principal
from db.enums import ContributionStatus
from db.portfolio import Contribution, ContributionStep, ContributionValuation, Plan
from db.session import LockedSession
from portal.contributions.money import Money, checked_money, checked_quantity
from portal.contributions.queries import get_contribution, require_write
from portal.contributions.rules import (
    DESCRIPTION_MAX,
    NOTE_MAX,
    OPEN_STATUSES,
    UNIT_MAX,
    Changes,
    Draft,
    check_period,
    checked_draft,
)
from portal.kernel.audience import resolve_audience
from portal.kernel.checks import check_version, checked_text
from portal.kernel.errors import BadInput, Forbidden, NotFound
from portal.kernel.idempotency import create_once
from portal.kernel.lookup import require_member


async def _checked_plan(
    session: LockedSession, principal: Principal, alliance_id: uuid.UUID, plan_id: uuid.UUID
) -> uuid.UUID:
    """A plan of the alliance the principal can see, or ``NotFound``/``BadInput``."""
    plan = await session.scalar(policy.visible_plans(principal).where(Plan.id == plan_id))
    if plan is None:
        raise NotFound("no such plan", field="plan")
    if plan.alliance_id != alliance_id:
        raise BadInput("the plan is one of another alliance", field="plan")
    return plan_id


def _step(
    principal: Principal,
    contribution: Contribution,
    status: ContributionStatus,
    *,
    note: str,
    now: dt.datetime,
) -> ContributionStep:
    return ContributionStep(
        id=uuid.uuid4(),
        alliance_id=contribution.alliance_id,
        contribution_id=contribution.id,
        status=status,
        organisation_id=principal.organisation_id,
        user_id=principal.user_id,
        note=note,
        at=now,
    )


def _fingerprint(alliance_id: uuid.UUID, draft: Draft) -> dict[str, Any]:
    """The input of a recordContribution, for recognising a replay (already normalised:
    "0.1" and "0.10" are the same amount)."""
    return {
        "alliance": str(alliance_id),
        "kind": draft.kind.value,
        "description": draft.description,
        "quantity": str(draft.quantity),
        "unit": draft.unit,
        "periodStart": draft.period_start.isoformat(),
        "periodEnd": draft.period_end.isoformat(),
        "plan": str(draft.plan_id) if draft.plan_id else None,
        "valuation": (
            [str(draft.valuation.amount), draft.valuation.currency] if draft.valuation else None
        ),
        "visibility": draft.audience.visibility.value,
        "visibilityCommittee": (
            str(draft.audience.committee_id) if draft.audience.committee_id else None
        ),
        "audience": list(draft.audience.organisation_slugs),
    }


async def record_contribution(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    draft: Draft,
    *,
    idempotency_key: str | None = None,
    now: dt.datetime,
) -> Contribution:
    """Record a contribution of the principal's own organisation, PLEDGED, with its first
    step.

    Any current member organisation may, with contributions:write; it becomes the
    contributor. A plan must be one of the alliance's that the organisation can see. The
    optional valuation is stored apart, under the confidentiality rule. With an
    ``idempotency_key``, a replay returns the first contribution and the same key with a
    different input is refused (CONFLICT)."""
    require_write(principal)
    draft = checked_draft(draft)

    async def create() -> Contribution:
        return await _record(session, principal, alliance_id, draft, now=now)

    async def load(contribution_id: uuid.UUID) -> Contribution:
        return await get_contribution(session, principal, contribution_id)

    return await create_once(
        session,
        principal,
        operation="recordContribution",
        key=idempotency_key,
        payload=_fingerprint(alliance_id, draft),
        create=create,
        load=load,
    )


async def _record(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    draft: Draft,
    *,
    now: dt.datetime,
) -> Contribution:
    await require_member(session, principal, alliance_id)
    plan_id = (
        await _checked_plan(session, principal, alliance_id, draft.plan_id)
        if draft.plan_id is not None
        else None
    )
    resolved = await resolve_audience(
        session,
        principal,
        alliance_id,
        draft.audience,
        at_least_one=True,
        always_sees=principal.organisation_id,
    )
    contribution = Contribution(
        id=uuid.uuid4(),
        alliance_id=alliance_id,
        organisation_id=principal.organisation_id,
        plan_id=plan_id,
        kind=draft.kind,
        description=draft.description,
        quantity=draft.quantity,
        unit=draft.unit,
        period_start=draft.period_start,
        period_end=draft.period_end,
        status=ContributionStatus.PLEDGED,
        visibility=resolved.visibility,
        visibility_committee_id=resolved.committee_id,
        version=1,
        created_at=now,
    )
    session.add(contribution)
    await session.flush()  # the contribution exists before what refers to it
    if draft.valuation is not None:
        session.add(_valuation(contribution, draft.valuation))
    session.add_all(resolved.grants(alliance_id, contribution.id))
    session.add(_step(principal, contribution, ContributionStatus.PLEDGED, note="", now=now))
    await session.flush()
    return contribution


def _valuation(contribution: Contribution, money: Money) -> ContributionValuation:
    return ContributionValuation(
        contribution_id=contribution.id,
        alliance_id=contribution.alliance_id,
        organisation_id=contribution.organisation_id,
        amount=money.amount,
        currency=money.currency,
    )


def _require_contributor(principal: Principal, contribution: Contribution, action: str) -> None:
    if contribution.organisation_id != principal.organisation_id:
        raise Forbidden(f"only the contributing organisation may {action}")


def _require_open(contribution: Contribution, action: str) -> None:
    if contribution.status not in OPEN_STATUSES:
        raise BadInput(
            f"the contribution is {contribution.status.value} and cannot be {action}",
            field="contribution",
        )


async def update_contribution(
    session: LockedSession,
    principal: Principal,
    contribution_id: uuid.UUID,
    *,
    expected_version: int,
    changes: Changes,
    now: dt.datetime,
) -> Contribution:
    """Change a PLEDGED or COMMITTED contribution, its valuation included.

    The contributing organisation only, with contributions:write (FORBIDDEN for other
    organisations that see it, NOT_FOUND for the others); ``expected_version`` must be
    current. A valuation can be set or corrected but not removed. Visibility is fixed when
    the contribution is recorded."""
    require_write(principal)
    contribution = await get_contribution(session, principal, contribution_id, for_update=True)
    _require_contributor(principal, contribution, "update it")
    _require_open(contribution, "updated")
    check_version(contribution.version, expected_version, "contribution")

    if changes.kind is not None:
        contribution.kind = changes.kind
    if changes.description is not None:
        contribution.description = checked_text(
            changes.description, "description", limit=DESCRIPTION_MAX
        )
    if changes.quantity is not None:
        contribution.quantity = checked_quantity(changes.quantity)
    if changes.unit is not None:
        contribution.unit = checked_text(changes.unit, "unit", limit=UNIT_MAX)
    start = contribution.period_start if changes.period_start is None else changes.period_start
    end = contribution.period_end if changes.period_end is None else changes.period_end
    check_period(start, end)
    contribution.period_start, contribution.period_end = start, end
    if changes.set_plan:
        contribution.plan_id = (
            await _checked_plan(session, principal, contribution.alliance_id, changes.plan_id)
            if changes.plan_id is not None
            else None
        )
    if changes.valuation is not None:
        money = checked_money(changes.valuation)
        current = await session.scalar(
            policy.visible_valuations(principal).where(
                ContributionValuation.contribution_id == contribution.id
            )
        )
        if current is None:
            session.add(_valuation(contribution, money))
        else:
            current.amount, current.currency = money.amount, money.currency
    contribution.version += 1
    await session.flush()
    return contribution


async def _transition(
    session: LockedSession,
    principal: Principal,
    contribution: Contribution,
    to: ContributionStatus,
    *,
    expected_version: int,
    allowed_from: Collection[ContributionStatus],
    note: str,
    now: dt.datetime,
) -> Contribution:
    if contribution.status not in allowed_from:
        names = " or ".join(sorted(status.value for status in allowed_from))
        raise BadInput(
            f"the contribution is {contribution.status.value}; only a {names} one can be "
            f"{to.value}",
            field="contribution",
        )
    check_version(contribution.version, expected_version, "contribution")
    note = checked_text(note, "note", limit=NOTE_MAX, required=False)
    contribution.status = to
    contribution.version += 1
    session.add(_step(principal, contribution, to, note=note, now=now))
    await session.flush()
    return contribution


async def commit_contribution(
    session: LockedSession,
    principal: Principal,
    contribution_id: uuid.UUID,
    *,
    expected_version: int,
    note: str = "",
    now: dt.datetime,
) -> Contribution:
    """PLEDGED → COMMITTED: the contributor binds itself to its pledge. The contributing
    organisation only, with contributions:write; ``expected_version`` must be current."""
    require_write(principal)
    contribution = await get_contribution(session, principal, contribution_id, for_update=True)
    _require_contributor(principal, contribution, "commit it")
    return await _transition(
        session,
        principal,
        contribution,
        ContributionStatus.COMMITTED,
        expected_version=expected_version,
        allowed_from={ContributionStatus.PLEDGED},
        note=note,
        now=now,
    )


async def withdraw_contribution(
    session: LockedSession,
    principal: Principal,
    contribution_id: uuid.UUID,
    *,
    expected_version: int,
    note: str = "",
    now: dt.datetime,
) -> Contribution:
    """PLEDGED or COMMITTED → WITHDRAWN (final). The contributing organisation only, with
    contributions:write; ``expected_version`` must be current."""
    require_write(principal)
    contribution = await get_contribution(session, principal, contribution_id, for_update=True)
    _require_contributor(principal, contribution, "withdraw it")
    return await _transition(
        session,
        principal,
        contribution,
        ContributionStatus.WITHDRAWN,
        expected_version=expected_version,
        allowed_from=OPEN_STATUSES,
        note=note,
        now=now,
    )


async def confirm_delivery(
    session: LockedSession,
    principal: Principal,
    contribution_id: uuid.UUID,
    *,
    expected_version: int,
    note: str = "",
    now: dt.datetime,
) -> Contribution:
    """COMMITTED → DELIVERED, with a step naming the confirming organisation, user and
    time. Who confirms: see :data:`auth.policy.DELIVERY_RULE`; with contributions:write.
    ``expected_version`` must be current."""
    require_write(principal)
    contribution = await get_contribution(session, principal, contribution_id, for_update=True)
    if contribution.organisation_id == principal.organisation_id:
        raise Forbidden("the contributor cannot confirm its own delivery")
    if not await policy.confirms_delivery(session, principal, contribution):
        raise Forbidden(
            "only the organisation that receives the contribution confirms its delivery: the "
            "owner of its plan, or else the alliance's lead"
        )
    return await _transition(
        session,
        principal,
        contribution,
        ContributionStatus.DELIVERED,
        expected_version=expected_version,
        allowed_from={ContributionStatus.COMMITTED},
        note=note,
        now=now,
    )
