"""Totals of contributions: valuations and quantities, from what the reader may see only."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Subquery, case, func, select

from auth import policy
from auth.principal import Principal
from db.enums import ContributionKind, ContributionStatus
from db.portfolio import Contribution
from db.session import LockedSession
from portal.contributions.money import CENT, QUANTITY_STEP
from portal.contributions.queries import require_read, visible_plan_ids


class SummaryDimension(enum.StrEnum):
    """What a valuation summary is grouped by (the currency always is)."""

    ORGANISATION = "organisation"
    KIND = "kind"
    CURRENCY = "currency"
    PLAN = "plan"


class QuantityDimension(enum.StrEnum):
    """What a quantity summary is grouped by besides kind, unit and status (always)."""

    ORGANISATION = "organisation"
    PLAN = "plan"


@dataclass(frozen=True, slots=True)
class ValuationTotals:
    """One row of a valuation summary; a dimension not grouped by is ``None``."""

    currency: str
    organisation_id: uuid.UUID | None
    kind: ContributionKind | None
    plan_id: uuid.UUID | None
    pledged: Decimal
    committed: Decimal
    delivered: Decimal
    withdrawn: Decimal
    valued_count: int


@dataclass(frozen=True, slots=True)
class QuantityTotals:
    """One row of a quantity summary; a dimension not grouped by is ``None``."""

    kind: ContributionKind
    unit: str
    status: ContributionStatus
    organisation_id: uuid.UUID | None
    plan_id: uuid.UUID | None
    count: int
    quantity: Decimal


def _audience_columns(principal: Principal, alliance_id: uuid.UUID) -> Subquery:
    """The alliance's visible contributions with the plan shown only when the principal
    can see it (a plan it cannot see reads as no plan)."""
    visible_plan = case(
        (Contribution.plan_id.in_(visible_plan_ids(principal)), Contribution.plan_id),
        else_=None,
    ).label("plan_id")
    return (
        policy.visible_contributions(principal)
        .where(Contribution.alliance_id == alliance_id)
        .with_only_columns(
            Contribution.id,
            Contribution.organisation_id,
            Contribution.kind,
            Contribution.status,
            Contribution.unit,
            Contribution.quantity,
            visible_plan,
        )
        .subquery("contribution")
    )


async def valuation_summary(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    group_by: Collection[SummaryDimension],
) -> list[ValuationTotals]:
    """Totals of the valuations the principal may see, per currency and the dimensions in
    ``group_by``, with one amount per status. One SQL statement: a GROUP BY over the
    principal's visible valuations joined to its visible contributions.

    Amounts of different currencies are never added: the currency is always a grouping
    key. A hidden valuation is left out entirely: it adds nothing to any total and is not
    counted in ``valued_count``, so no total or count lets a reader subtract its way to an
    amount it may not see."""
    require_read(principal)
    contributions = _audience_columns(principal, alliance_id)
    valuations = policy.visible_valuations(principal).subquery("valuation")
    keys: dict[SummaryDimension, ColumnElement[Any]] = {
        SummaryDimension.ORGANISATION: contributions.c.organisation_id,
        SummaryDimension.KIND: contributions.c.kind,
        SummaryDimension.PLAN: contributions.c.plan_id,
    }
    grouped = [keys[dimension] for dimension in keys if dimension in group_by]
    status = contributions.c.status

    def total(wanted: ContributionStatus) -> ColumnElement[Decimal | None]:
        return func.sum(valuations.c.amount).filter(status == wanted)

    statement = (
        select(
            valuations.c.currency,
            *grouped,
            total(ContributionStatus.PLEDGED),
            total(ContributionStatus.COMMITTED),
            total(ContributionStatus.DELIVERED),
            total(ContributionStatus.WITHDRAWN),
            func.count(),
        )
        .select_from(
            contributions.join(valuations, valuations.c.contribution_id == contributions.c.id)
        )
        .group_by(valuations.c.currency, *grouped)
        .order_by(valuations.c.currency, *(column.asc().nulls_first() for column in grouped))
    )
    rows = (await session.execute(statement)).all()
    results = []
    for row in rows:
        currency, *rest = row
        found = dict(zip((d for d in keys if d in group_by), rest[: len(grouped)], strict=True))
        pledged, committed, delivered, withdrawn, count = rest[len(grouped) :]
        results.append(
            ValuationTotals(
                currency=currency,
                organisation_id=found.get(SummaryDimension.ORGANISATION),
                kind=found.get(SummaryDimension.KIND),
                plan_id=found.get(SummaryDimension.PLAN),
                pledged=_cents(pledged),
                committed=_cents(committed),
                delivered=_cents(delivered),
                withdrawn=_cents(withdrawn),
                valued_count=count,
            )
        )
    return results


def _cents(value: Decimal | None) -> Decimal:
    return (value or Decimal(0)).quantize(CENT)


async def quantity_summary(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    group_by: Collection[QuantityDimension],
) -> list[QuantityTotals]:
    """How many contributions the principal may see and their total quantity, per kind,
    unit and status (quantities of different units are never added) and the dimensions in
    ``group_by``. Needs no valuation and reveals none. One SQL statement."""
    require_read(principal)
    contributions = _audience_columns(principal, alliance_id)
    keys: dict[QuantityDimension, ColumnElement[Any]] = {
        QuantityDimension.ORGANISATION: contributions.c.organisation_id,
        QuantityDimension.PLAN: contributions.c.plan_id,
    }
    grouped = [keys[dimension] for dimension in keys if dimension in group_by]
    always = [contributions.c.kind, contributions.c.unit, contributions.c.status]
    statement = (
        select(*always, *grouped, func.count(), func.sum(contributions.c.quantity))
        .group_by(*always, *grouped)
        .order_by(*always, *(column.asc().nulls_first() for column in grouped))
    )
    results = []
    for row in (await session.execute(statement)).all():
        kind, unit, status, *rest = row
        found = dict(zip((d for d in keys if d in group_by), rest[: len(grouped)], strict=True))
        count, quantity = rest[len(grouped) :]
        results.append(
            QuantityTotals(
                kind=kind,
                unit=unit,
                status=status,
                organisation_id=found.get(QuantityDimension.ORGANISATION),
                plan_id=found.get(QuantityDimension.PLAN),
                count=count,
                quantity=Decimal(quantity).quantize(QUANTITY_STEP),
            )
        )
    return results
