"""Reading contributions: the getter and the policy-scoped list with its filters and orderings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Numeric, Select, Subquery, func, literal

from auth import policy
from auth.principal import Principal
from auth.scopes import Scope
from db.enums import ContributionKind, ContributionStatus
from db.portfolio import Contribution, ContributionValuation, Plan
from db.session import LockedSession
from portal.contributions.money import checked_currency
from portal.kernel.errors import BadInput
from portal.kernel.lookup import get_visible

UNVALUED_SORT_AMOUNT = Decimal(-1)
"""Sort key of a contribution without a valuation the reader may see: below every real
amount (amounts are never negative), so hidden and absent valuations sort alike, last."""


@dataclass(frozen=True, slots=True)
class ContributionFilter:
    """Which contributions of an alliance to list; ``None`` does not narrow. The currency
    and amount conditions match only valuations the reader may see."""

    organisation_id: uuid.UUID | None = None
    kinds: Sequence[ContributionKind] | None = None
    statuses: Sequence[ContributionStatus] | None = None
    plan_id: uuid.UUID | None = None
    currency: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Listing:
    """The contributions a reader may see, narrowed by a filter, and their amount sort key:
    the visible amount, or ``UNVALUED_SORT_AMOUNT`` when there is none to see."""

    query: Select[Any]
    sort_amount: ColumnElement[Decimal]


def require_read(principal: Principal) -> None:
    policy.require_scope(principal, Scope.CONTRIBUTIONS_READ)


def require_write(principal: Principal) -> None:
    policy.require_scope(principal, Scope.CONTRIBUTIONS_WRITE)


async def get_contribution(
    session: LockedSession,
    principal: Principal,
    contribution_id: uuid.UUID,
    *,
    for_update: bool = False,
    field: str = "contribution",
) -> Contribution:
    """A visible contribution, or ``NotFound`` (also when it exists but is hidden from the
    principal's organisation)."""
    return await get_visible(
        session,
        policy.visible_contributions(principal),
        contribution_id,
        what="contribution",
        field=field,
        for_update=for_update,
    )


def visible_amounts(principal: Principal) -> Subquery:
    """``contribution_id``, ``amount`` and ``currency`` of the valuations the principal may
    see: the only source of amounts for filters, orderings and totals."""
    return (
        policy.visible_valuations(principal)
        .with_only_columns(
            ContributionValuation.contribution_id,
            ContributionValuation.amount,
            ContributionValuation.currency,
        )
        .subquery("visible_valuation")
    )


def visible_plan_ids(principal: Principal) -> Select[Any]:
    return policy.visible_plans(principal).with_only_columns(Plan.id)


def alliance_contributions(
    principal: Principal, alliance_id: uuid.UUID, chosen: ContributionFilter
) -> Listing:
    """The contributions of an alliance the principal may see, narrowed by ``chosen``.

    Amounts come from a LEFT JOIN onto the principal's visible valuations: a contribution
    whose valuation is hidden (or absent) has no amount and no currency here, so it never
    matches a currency or amount condition, and its sort key is ``UNVALUED_SORT_AMOUNT``,
    exactly as if it had no valuation. A plan condition matches only a plan the principal
    can see."""
    require_read(principal)
    amounts = visible_amounts(principal)
    query = (
        policy.visible_contributions(principal)
        .outerjoin(amounts, amounts.c.contribution_id == Contribution.id)
        .where(Contribution.alliance_id == alliance_id)
    )
    if chosen.organisation_id is not None:
        query = query.where(Contribution.organisation_id == chosen.organisation_id)
    if chosen.kinds:
        query = query.where(Contribution.kind.in_(chosen.kinds))
    if chosen.statuses:
        query = query.where(Contribution.status.in_(chosen.statuses))
    if chosen.plan_id is not None:
        query = query.where(
            Contribution.plan_id == chosen.plan_id,
            Contribution.plan_id.in_(visible_plan_ids(principal)),
        )
    if chosen.currency is not None:
        currency = checked_currency(chosen.currency, field="currency")
        query = query.where(amounts.c.currency == currency)
    if chosen.min_amount is not None:
        minimum = _amount_bound(chosen.min_amount, "minAmount")
        query = query.where(amounts.c.amount >= minimum)
    if chosen.max_amount is not None:
        maximum = _amount_bound(chosen.max_amount, "maxAmount")
        query = query.where(amounts.c.amount <= maximum)
    unvalued = literal(UNVALUED_SORT_AMOUNT, Numeric(18, 2))
    return Listing(query=query, sort_amount=func.coalesce(amounts.c.amount, unvalued))


def _amount_bound(value: Decimal, field: str) -> Decimal:
    if not value.is_finite():
        raise BadInput("an amount is a finite decimal number", field=field)
    return value
