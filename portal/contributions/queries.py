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
    """Which contributions to list; ``None`` does not narrow. The currency and amount
    conditions match only valuations the reader may see."""

    organisation_id: uuid.UUID | None = None
    kinds: Sequence[ContributionKind] | None = None
    statuses: Sequence[ContributionStatus] | None = None
    plan_id: uuid.UUID | None = None
    currency: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Listing:
    """The contributions a reader may see, narrowed by a filter.

    ``query`` joins the reader's visible amounts only when a currency or amount condition
    needs them: the join probes the valuations (through their own policy) for every
    visible row before an ordering can stop at a page, which made an unfiltered list over
    many alliances cost hundreds of milliseconds. :meth:`by_amount` gives the query joined
    for the amount ordering, with its sort key."""

    query: Select[Any]
    amounts: Subquery
    joined: bool

    def by_amount(self) -> tuple[Select[Any], ColumnElement[Decimal]]:
        """The query with the visible amounts joined, and the amount sort key: the
        visible amount, or ``UNVALUED_SORT_AMOUNT`` when there is none to see."""
        query = self.query if self.joined else _with_amounts(self.query, self.amounts)
        unvalued = literal(UNVALUED_SORT_AMOUNT, Numeric(18, 2))
        return query, func.coalesce(self.amounts.c.amount, unvalued)


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
    principal: Principal, alliance_id: uuid.UUID | None, chosen: ContributionFilter
) -> Listing:
    """The contributions the principal may see in one alliance, or with ``alliance_id``
    None in every alliance its organisation is a current member of, narrowed by ``chosen``.

    Both are the same selection, ``policy.visible_contributions``, which already keeps to
    the organisation's current alliances and to each contribution's audience there; the
    alliance is only one more condition. So a list across alliances can show nothing that
    the per-alliance lists would not, and an alliance the organisation has left drops out.

    Amounts come from a LEFT JOIN onto the principal's visible valuations: a contribution
    whose valuation is hidden (or absent) has no amount and no currency here, so it never
    matches a currency or amount condition, and its sort key is ``UNVALUED_SORT_AMOUNT``,
    exactly as if it had no valuation. A plan condition matches only a plan the principal
    can see."""
    require_read(principal)
    amounts = visible_amounts(principal)
    query = policy.visible_contributions(principal)
    if alliance_id is not None:
        query = query.where(Contribution.alliance_id == alliance_id)
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
    by_amount: list[ColumnElement[bool]] = []
    if chosen.currency is not None:
        currency = checked_currency(chosen.currency, field="currency")
        by_amount.append(amounts.c.currency == currency)
    if chosen.min_amount is not None:
        minimum = _amount_bound(chosen.min_amount, "minAmount")
        by_amount.append(amounts.c.amount >= minimum)
    if chosen.max_amount is not None:
        maximum = _amount_bound(chosen.max_amount, "maxAmount")
        by_amount.append(amounts.c.amount <= maximum)
    if by_amount:
        query = _with_amounts(query, amounts).where(*by_amount)
    return Listing(query=query, amounts=amounts, joined=bool(by_amount))


def _with_amounts(query: Select[Any], amounts: Subquery) -> Select[Any]:
    return query.outerjoin(amounts, amounts.c.contribution_id == Contribution.id)


def _amount_bound(value: Decimal, field: str) -> Decimal:
    if not value.is_finite():
        raise BadInput("an amount is a finite decimal number", field=field)
    return value
