"""Root fields that read contributions: filters, orders and resolvers of its lists."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import enum
import json
import uuid
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from sqlalchemy import tuple_
from strawberry import relay

from auth.scopes import Scope
from db import portfolio
from db.session import LockedSession
from portal import contributions
from portal.kernel.errors import BadInput, NotFound
from schema.context import Info
from schema.contributions.enums import (
    ContributionKind,
    ContributionStatus,
    QuantityDimension,
    SummaryDimension,
)
from schema.contributions.types import VALUATION_AUDIENCE, Contribution
from schema.kernel.ids import expect_global_id, to_global_id
from schema.kernel.pagination import (
    Connection,
    Edge,
    Ordering,
    PageArgs,
    PageRequest,
    connection_of,
    empty_connection,
    page_of,
    paged,
    paginate,
)
from schema.kernel.scopes import Needs
from schema.organisations.types import Organisation, load_organisation


@strawberry.type(
    description="Valuation totals of one group of contributions, in one currency. Only "
    "valuations you may see are included (your organisation's own; all of them when your "
    "organisation sits on the steering committee)."
)
class ContributionSummaryRow:
    organisation_ref: strawberry.Private[uuid.UUID | None]
    plan_ref: strawberry.Private[uuid.UUID | None]
    currency: str = strawberry.field(
        description="ISO 4217 code of every amount in this row; amounts of different "
        "currencies are never added."
    )
    kind: ContributionKind | None = strawberry.field(
        description="The kind, when grouped by KIND; null otherwise."
    )
    pledged_amount: Decimal = strawberry.field(
        description="Total valuation of the group's contributions now PLEDGED."
    )
    committed_amount: Decimal = strawberry.field(
        description="Total valuation of the group's contributions now COMMITTED."
    )
    delivered_amount: Decimal = strawberry.field(
        description="Total valuation of the group's contributions now DELIVERED."
    )
    withdrawn_amount: Decimal = strawberry.field(
        description="Total valuation of the group's contributions now WITHDRAWN."
    )
    valued_count: int = strawberry.field(
        description="How many contributions' valuations the totals add up: only those you "
        "may see, so the count reveals nothing about hidden ones."
    )

    @classmethod
    def from_totals(cls, row: contributions.ValuationTotals) -> ContributionSummaryRow:
        return cls(
            organisation_ref=row.organisation_id,
            plan_ref=row.plan_id,
            currency=row.currency,
            kind=row.kind,
            pledged_amount=row.pledged,
            committed_amount=row.committed,
            delivered_amount=row.delivered,
            withdrawn_amount=row.withdrawn,
            valued_count=row.valued_count,
        )

    @strawberry.field(description="The contributor, when grouped by ORGANISATION; else null.")
    async def organisation(self, info: Info) -> Organisation | None:
        if self.organisation_ref is None:
            return None
        return await load_organisation(info, self.organisation_ref)

    @strawberry.field(
        description="Global ID of the plan, when grouped by PLAN; null otherwise, and for "
        "contributions to no plan or to a plan you cannot see."
    )
    def plan_id(self) -> relay.GlobalID | None:
        return to_global_id("Plan", self.plan_ref) if self.plan_ref else None


@strawberry.type(
    description="How many contributions of one kind, unit and status you can see and their "
    "total quantity. Reveals no valuation."
)
class ContributionQuantityRow:
    organisation_ref: strawberry.Private[uuid.UUID | None]
    plan_ref: strawberry.Private[uuid.UUID | None]
    kind: ContributionKind = strawberry.field(description="The kind of contribution.")
    unit: str = strawberry.field(
        description="The unit of quantity; quantities in different units are never added."
    )
    status: ContributionStatus = strawberry.field(description="Their current status.")
    count: int = strawberry.field(description="How many contributions.")
    quantity: Decimal = strawberry.field(description="Their total quantity, in unit.")

    @classmethod
    def from_totals(cls, row: contributions.QuantityTotals) -> ContributionQuantityRow:
        return cls(
            organisation_ref=row.organisation_id,
            plan_ref=row.plan_id,
            kind=row.kind,
            unit=row.unit,
            status=row.status,
            count=row.count,
            quantity=row.quantity,
        )

    @strawberry.field(description="The contributor, when grouped by ORGANISATION; else null.")
    async def organisation(self, info: Info) -> Organisation | None:
        if self.organisation_ref is None:
            return None
        return await load_organisation(info, self.organisation_ref)

    @strawberry.field(
        description="Global ID of the plan, when grouped by PLAN; null otherwise, and for "
        "contributions to no plan or to a plan you cannot see."
    )
    def plan_id(self) -> relay.GlobalID | None:
        return to_global_id("Plan", self.plan_ref) if self.plan_ref else None


@strawberry.enum(description="Orders of the contributions list.")
class ContributionOrder(enum.Enum):
    CREATED_AT_DESC = "created_at_desc"
    PERIOD_START = "period_start"
    AMOUNT_DESC = "amount_desc"


COLUMN_ORDERINGS = {
    ContributionOrder.CREATED_AT_DESC: Ordering(
        "created_desc",
        (portfolio.Contribution.created_at, portfolio.Contribution.id),
        descending=True,
    ),
    ContributionOrder.PERIOD_START: Ordering(
        "period_start", (portfolio.Contribution.period_start, portfolio.Contribution.id)
    ),
}


AMOUNT_ORDERING = "amount_desc"


@strawberry.input(
    description="Narrow a list of contributions; omitted fields do not narrow, given ones "
    "all apply. The currency and amount conditions match only valuations you may see: a "
    "contribution whose valuation is hidden from you never matches them."
)
class ContributionFilter:
    organisation: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only contributions of this organisation (its global ID), in every "
        "alliance listed: your own organisation's ID (viewer.organisation.id) lists what "
        "your organisation contributes; a partner's lists its contributions that you can "
        "see in the alliances you share.",
    )
    kinds: list[ContributionKind] | None = strawberry.field(
        default=None, description="Only contributions of these kinds."
    )
    statuses: list[ContributionStatus] | None = strawberry.field(
        default=None, description="Only contributions in these states."
    )
    plan: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only contributions to this plan (one you can see; with or without "
        "alliance, since a plan belongs to one alliance).",
    )
    currency: str | None = strawberry.field(
        default=None, description="Only contributions valued in this ISO 4217 currency."
    )
    min_amount: Decimal | None = strawberry.field(
        default=None, description="Only contributions valued at this amount or more."
    )
    max_amount: Decimal | None = strawberry.field(
        default=None, description="Only contributions valued at this amount or less."
    )


def _amount_cursor(amount: Decimal, row: portfolio.Contribution) -> str:
    parts = [AMOUNT_ORDERING, str(amount), row.created_at.isoformat(), str(row.id)]
    raw = json.dumps(parts, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _amount_keys(cursor: str, field: str) -> tuple[Decimal, dt.datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, amount, created_at, row_id = json.loads(base64.urlsafe_b64decode(padded))
        if name != AMOUNT_ORDERING or not isinstance(amount, str):
            raise ValueError("cursor of another ordering")
        keys = (Decimal(amount), dt.datetime.fromisoformat(created_at), uuid.UUID(row_id))
        if not keys[0].is_finite():
            raise ValueError("not an amount")
        return keys
    except (ValueError, TypeError, binascii.Error, decimal.InvalidOperation):
        raise BadInput("not a cursor of this list and ordering", field=field) from None


async def _page_by_amount(
    session: LockedSession, listing: contributions.Listing, page: PageRequest
) -> Connection[Contribution]:
    """A keyset page in AMOUNT_DESC order: by (visible amount or -1, created_at, id), all
    descending. The cursor holds the sort key the reader saw, so it carries no amount the
    reader may not see (a hidden valuation's key is -1, like a missing one)."""
    size = page.size()
    model = portfolio.Contribution
    query, sort_amount = listing.by_amount()
    columns = (sort_amount, model.created_at, model.id)
    keys = tuple_(*columns)
    clauses = []
    if page.after is not None:
        clauses.append(keys < tuple_(*_amount_keys(page.after, "after")))
    if page.before is not None:
        clauses.append(keys > tuple_(*_amount_keys(page.before, "before")))
    reverse = page.backwards
    statement = (
        query.add_columns(sort_amount)
        .where(*clauses)
        .order_by(*(column.asc() if reverse else column.desc() for column in columns))
        .limit(size + 1)
    )
    rows: list[Any] = list((await session.execute(statement)).all())
    rows, has_next, has_previous = page_of(rows, size, page)
    edges = [
        Edge(node=Contribution.from_model(row[0]), cursor=_amount_cursor(row[1], row[0]))
        for row in rows
    ]
    return connection_of(edges, has_next, has_previous)


@paged
async def resolve_contributions(
    info: Info,
    alliance: Annotated[
        strawberry.ID | None,
        strawberry.argument(
            description="The alliance's ID. Omit it (or give null) to list across every "
            "alliance your organisation is a current member of. An alliance you are not a "
            "member of, or an ID of another type, lists nothing."
        ),
    ] = None,
    filter: Annotated[
        ContributionFilter | None, strawberry.argument(description="Which contributions.")
    ] = None,
    *,
    page: PageArgs,
    order_by: Annotated[
        ContributionOrder,
        strawberry.argument(
            description="CREATED_AT_DESC (newest first), PERIOD_START (earliest period "
            "first) or AMOUNT_DESC (highest valuation you may see first; amounts are "
            "compared as numbers whatever their currency, so filter by currency to rank like "
            "with like; contributions whose valuation is hidden from you or absent come "
            "last, newest first)."
        ),
    ] = ContributionOrder.CREATED_AT_DESC,
) -> Connection[Contribution]:
    """The contributions you may see, of one alliance or of all your organisation's
    current alliances. Needs contributions:read; an alliance you are not a member of has
    none."""
    principal = info.context.principal
    chosen = filter or ContributionFilter()
    try:
        alliance_id = (
            expect_global_id(alliance, "Alliance", "alliance") if alliance is not None else None
        )
        organisation_id = (
            expect_global_id(chosen.organisation, "Organisation", "organisation")
            if chosen.organisation is not None
            else None
        )
        plan_id = expect_global_id(chosen.plan, "Plan", "plan") if chosen.plan is not None else None
    except NotFound:
        return empty_connection()  # an ID of another type names nothing
    listing = contributions.alliance_contributions(
        principal,
        alliance_id,
        contributions.ContributionFilter(
            organisation_id=organisation_id,
            kinds=chosen.kinds,
            statuses=chosen.statuses,
            plan_id=plan_id,
            currency=chosen.currency,
            min_amount=chosen.min_amount,
            max_amount=chosen.max_amount,
        ),
    )
    if order_by is ContributionOrder.AMOUNT_DESC:
        return await _page_by_amount(info.context.session, listing, page)
    return await paginate(
        info.context.session,
        listing.query,
        COLUMN_ORDERINGS[order_by],
        page,
        Contribution.from_model,
    )


def _alliance_or_none(alliance: strawberry.ID) -> uuid.UUID | None:
    try:
        return expect_global_id(alliance, "Alliance", "alliance")
    except NotFound:
        return None


async def resolve_contribution_summary(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    group_by: Annotated[
        list[SummaryDimension],
        strawberry.argument(
            description="Group by any of ORGANISATION, KIND, CURRENCY, PLAN (the currency "
            "always, even when not listed); an empty list gives one row per currency."
        ),
    ],
) -> list[ContributionSummaryRow]:
    """Valuation totals of the alliance's contributions: per currency and the chosen
    dimensions, one amount per status. Needs contributions:read."""
    principal = info.context.principal
    alliance_id = _alliance_or_none(alliance)
    if alliance_id is None:
        return []
    rows = await contributions.valuation_summary(
        info.context.session, principal, alliance_id, set(group_by)
    )
    return [ContributionSummaryRow.from_totals(row) for row in rows]


async def resolve_contribution_quantities(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    group_by: Annotated[
        list[QuantityDimension] | None,
        strawberry.argument(
            description="Also group by ORGANISATION and/or PLAN; kind, unit and status always."
        ),
    ] = None,
) -> list[ContributionQuantityRow]:
    """Counts and total quantities of the alliance's contributions you can see, per kind,
    unit and status. Needs contributions:read."""
    principal = info.context.principal
    alliance_id = _alliance_or_none(alliance)
    if alliance_id is None:
        return []
    rows = await contributions.quantity_summary(
        info.context.session, principal, alliance_id, set(group_by or ())
    )
    return [ContributionQuantityRow.from_totals(row) for row in rows]


@strawberry.type
class Queries:
    contributions: Connection[Contribution] = strawberry.field(
        resolver=resolve_contributions,
        description="Contributions visible to you, of one alliance or, without alliance, of "
        "every alliance your organisation is a current member of, with filters "
        "(organisation, kinds, statuses, plan, currency and amount range on the valuations "
        "you may see), orderings and keyset pagination. Across alliances the list holds "
        "exactly what the alliances' own lists hold, in one order with one cursor: an "
        "alliance your organisation has left drops out, and a contribution shared with a "
        "committee or with named organisations stays hidden from everyone else. Your "
        "organisation's contributions everywhere: "
        "filter: {organisation: <viewer.organisation.id>}. Needs contributions:read.",
        extensions=[Needs(Scope.CONTRIBUTIONS_READ)],
    )
    contribution_summary: list[ContributionSummaryRow] = strawberry.field(
        resolver=resolve_contribution_summary,
        description="What the partners' contributions are worth, for charts: pledged, "
        "committed, delivered and withdrawn amounts per currency and per organisation, "
        "kind or plan, computed in one SQL GROUP BY over the valuations you may see ("
        + VALUATION_AUDIENCE
        + ") Hidden valuations are left out of every total and of valuedCount, so no "
        "total or count lets you subtract your way to a hidden amount; amounts of different "
        "currencies are never added. Needs contributions:read.",
        extensions=[Needs(Scope.CONTRIBUTIONS_READ)],
    )
    contribution_quantities: list[ContributionQuantityRow] = strawberry.field(
        resolver=resolve_contribution_quantities,
        description="How many contributions you can see and how much of each unit, per "
        "kind, unit and status (optionally per organisation or plan). Uses no valuation. "
        "Needs contributions:read.",
        extensions=[Needs(Scope.CONTRIBUTIONS_READ)],
    )
