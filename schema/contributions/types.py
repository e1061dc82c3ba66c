"""The contributions ledger: the Contribution and ContributionStep types, the contributions
list, the valuation and quantity summaries, and the recordContribution /
updateContribution / commitContribution / confirmDelivery / withdrawContribution
mutations. The rules live in ``portal.contributions``.

Amounts are exact decimals (strawberry's ``Decimal`` scalar, a string on the wire) and
are read only through ``policy.visible_valuations``: per contribution by a grouped
loader, in lists through a LEFT JOIN onto that selection, in summaries through one
GROUP BY over it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import enum
import json
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import tuple_
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth.scopes import Scope
from db import portfolio
from db.enums import ContributionKind, ContributionStatus
from db.models import utcnow
from db.session import LockedSession
from portal.contributions import service as contributions
from portal.contributions.service import QuantityDimension, SummaryDimension, ValuationHiddenReason
from portal.kernel.errors import BadInput, NotFound
from schema.alliances.types import Alliance
from schema.context import Info
from schema.kernel.enums import Visibility
from schema.kernel.errors import INPUT_DESCRIPTION, UserError, guarded
from schema.kernel.ids import expect_global_id, to_global_id
from schema.kernel.nodes import AreaNode, load_one, load_required
from schema.kernel.pagination import Connection, Edge, Ordering, PageInfo, PageRequest, paginate
from schema.kernel.scopes import Needs
from schema.organisations.types import Organisation, load_audience, load_organisation

if TYPE_CHECKING:
    from schema.committees.types import Committee
    from schema.loaders import Loaders
    from schema.plans.types import Plan

CommitteeRef = Annotated["Committee", strawberry.lazy("schema.committees.types")]
PlanRef = Annotated["Plan", strawberry.lazy("schema.plans.types")]

VALUATION_AUDIENCE = (
    "Confidential: visible only to the contributing organisation and to organisations "
    "holding a seat on the alliance's steering committee."
)

for _enum, _name, _description in (
    (
        ContributionKind,
        "ContributionKind",
        "What an organisation contributes: PERSONNEL, CASH, KNOWLEDGE, IP or EQUIPMENT.",
    ),
    (
        ContributionStatus,
        "ContributionStatus",
        "PLEDGED → COMMITTED → DELIVERED, or WITHDRAWN from PLEDGED or COMMITTED.",
    ),
):
    strawberry.enum(_enum, name=_name, description=_description)
strawberry.enum(
    ValuationHiddenReason,
    name="ValuationHiddenReason",
    description="Why a contribution's valuation is null: NOT_VALUED (none was recorded; "
    "said only to readers who would see one) or CONFIDENTIAL (the reader is neither the "
    "contributor nor seated on the steering committee; said whether or not one exists).",
)
strawberry.enum(
    SummaryDimension,
    name="ContributionSummaryDimension",
    description="What a valuation summary is grouped by. Amounts are always grouped by "
    "currency as well, whether CURRENCY is asked for or not.",
)
strawberry.enum(
    QuantityDimension,
    name="ContributionQuantityDimension",
    description="What a quantity summary is grouped by besides kind, unit and status.",
)


# --- loaders ----------------------------------------------------------------------------------


async def _plan_gid(info: Info, plan_id: uuid.UUID | None) -> relay.GlobalID | None:
    """The global id of a plan the principal can see; None for no plan or a hidden one."""
    if plan_id is None or await info.context.loaders.plans.by_id.load(plan_id) is None:
        return None
    return to_global_id("Plan", plan_id)


# --- types ------------------------------------------------------------------------------------


@strawberry.type(description="An exact amount of money. " + VALUATION_AUDIENCE)
class Money:
    amount: Decimal = strawberry.field(
        description="The exact amount as a decimal string with two decimals, e.g. "
        '"1234567.89" (never a float).'
    )
    currency: str = strawberry.field(description="ISO 4217 currency code, e.g. EUR.")


@strawberry.type(
    description="One step of a contribution's life (append-only): the status it moved to, "
    "which organisation and user moved it, when, and why. Visible with its contribution."
)
class ContributionStep(AreaNode):
    db_id: relay.NodeID[str]
    organisation_id: strawberry.Private[uuid.UUID]
    status: ContributionStatus = strawberry.field(
        description="The status the contribution moved to (PLEDGED when it was recorded)."
    )
    user_id: strawberry.ID | None = strawberry.field(
        description="The user who took the step; null when a machine credential took it."
    )
    note: str = strawberry.field(description="Why, in the taker's words; may be empty.")
    at: dt.datetime = strawberry.field(description="When the step was taken.")

    @classmethod
    def from_model(cls, row: portfolio.ContributionStep) -> ContributionStep:
        return cls(
            db_id=str(row.id),
            organisation_id=row.organisation_id,
            status=row.status,
            user_id=strawberry.ID(str(row.user_id)) if row.user_id else None,
            note=row.note,
            at=row.at,
        )

    @strawberry.field(
        description="The organisation that took the step: the contributor for PLEDGED, "
        "COMMITTED and WITHDRAWN; the confirming organisation for DELIVERED."
    )
    async def organisation(self, info: Info) -> Organisation:
        return await load_organisation(info, self.organisation_id)

    read_scope = Scope.CONTRIBUTIONS_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.contributions.step_by_id


@strawberry.type(
    description="What an organisation puts into an alliance: personnel, cash, knowledge, "
    "IP or equipment, as a quantity in a unit over a period, optionally for a plan. "
    "Visible to its audience (see visibility) and always to the contributing "
    "organisation; to anyone else it does not exist. Its valuation is confidential (see "
    "valuation). Needs contributions:read."
)
class Contribution(AreaNode):
    db_id: relay.NodeID[str]
    alliance_id: strawberry.Private[uuid.UUID]
    organisation_id: strawberry.Private[uuid.UUID]
    plan_ref: strawberry.Private[uuid.UUID | None]
    visibility_committee_id: strawberry.Private[uuid.UUID | None]
    kind: ContributionKind = strawberry.field(
        description="PERSONNEL, CASH, KNOWLEDGE, IP or EQUIPMENT."
    )
    description: str = strawberry.field(description="What exactly is contributed.")
    quantity: Decimal = strawberry.field(
        description="How much, in unit: an exact decimal string with three decimals, e.g. "
        '"1.500" FTE. Not confidential: every reader of the contribution sees it, so a '
        "confidential amount belongs in the valuation, not in a quantity of currency units."
    )
    unit: str = strawberry.field(
        description="The unit of quantity, e.g. FTE, person-months, units, EUR."
    )
    period_start: dt.date = strawberry.field(description="First day of the contribution.")
    period_end: dt.date = strawberry.field(description="Last day of the contribution.")
    status: ContributionStatus = strawberry.field(
        description="PLEDGED, COMMITTED, DELIVERED or WITHDRAWN; see steps for who moved it."
    )
    visibility: Visibility = strawberry.field(
        description="ALLIANCE (every member), COMMITTEE (seat holders of "
        "visibilityCommittee) or ORGANISATIONS (the audience). The contributing "
        "organisation sees its contribution whatever it says."
    )
    version: int = strawberry.field(
        description="Changes with every update and step; send it back with the mutations."
    )
    created_at: dt.datetime = strawberry.field(description="When it was recorded.")

    @classmethod
    def from_model(cls, row: portfolio.Contribution) -> Contribution:
        return cls(
            db_id=str(row.id),
            alliance_id=row.alliance_id,
            organisation_id=row.organisation_id,
            plan_ref=row.plan_id,
            visibility_committee_id=row.visibility_committee_id,
            kind=row.kind,
            description=row.description,
            quantity=row.quantity,
            unit=row.unit,
            period_start=row.period_start,
            period_end=row.period_end,
            status=row.status,
            visibility=row.visibility,
            version=row.version,
            created_at=row.created_at,
        )

    @strawberry.field(description="The contributing organisation.")
    async def organisation(self, info: Info) -> Organisation:
        return await load_organisation(info, self.organisation_id)

    @strawberry.field(
        description="The alliance it is contributed to.",
        extensions=[Needs(Scope.ALLIANCES_READ)],
    )
    async def alliance(self, info: Info) -> Alliance:
        row = await info.context.loaders.alliances.by_id.load(self.alliance_id)
        if row is None:
            raise LookupError("a visible contribution's alliance is visible")
        return Alliance.from_model(row)

    @strawberry.field(
        description="Global ID of the plan it is for; null when it is for no plan or for a "
        "plan you cannot see."
    )
    async def plan_id(self, info: Info) -> relay.GlobalID | None:
        return await _plan_gid(info, self.plan_ref)

    @strawberry.field(
        description="The plan it is for; null when it is for no plan, for a plan you cannot "
        "see, or when your credential lacks plans:read.",
        extensions=[Needs(Scope.PLANS_READ)],
    )
    async def plan(self, info: Info) -> PlanRef | None:
        if self.plan_ref is None:
            return None
        return await load_one(info, info.context.loaders.plans.by_id, self.plan_ref)

    @strawberry.field(
        description="With visibility COMMITTEE: whose seat holders see it.",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )
    async def visibility_committee(self, info: Info) -> CommitteeRef | None:
        if self.visibility_committee_id is None:
            return None
        return await load_required(
            info, info.context.loaders.committees.by_id, self.visibility_committee_id
        )

    @strawberry.field(
        description="With visibility ORGANISATIONS: the member organisations it is shared "
        "with (the contributor always among them); null with any other visibility."
    )
    async def audience(self, info: Info) -> list[Organisation] | None:
        return await load_audience(
            info,
            info.context.loaders.contributions.audience,
            uuid.UUID(self.db_id),
            self.visibility,
        )

    @strawberry.field(
        description="What the contribution is worth: an exact decimal amount and its ISO "
        "4217 currency. "
        + VALUATION_AUDIENCE
        + " Null for every other reader, and when no valuation was recorded; "
        "valuationHiddenReason says which."
    )
    async def valuation(self, info: Info) -> Money | None:
        rows = await info.context.loaders.contributions.valuations_of_contribution.load(
            uuid.UUID(self.db_id)
        )
        return Money(amount=rows[0].amount, currency=rows[0].currency) if rows else None

    @strawberry.field(
        description="Why valuation is null: NOT_VALUED (none recorded; told only to the "
        "contributing organisation and steering committee seat holders) or CONFIDENTIAL "
        "(you are neither, whether or not a valuation exists). Null when valuation is set."
    )
    async def valuation_hidden_reason(self, info: Info) -> ValuationHiddenReason | None:
        if await info.context.loaders.contributions.valuations_of_contribution.load(
            uuid.UUID(self.db_id)
        ):
            return None
        entitled = self.organisation_id == info.context.principal.organisation_id or (
            await info.context.loaders.contributions.steering_seat_in_alliance.load(
                self.alliance_id
            )
        )
        return ValuationHiddenReason.NOT_VALUED if entitled else ValuationHiddenReason.CONFIDENTIAL

    @strawberry.field(description="Its history, oldest first: who moved it to which status.")
    async def steps(self, info: Info) -> list[ContributionStep]:
        rows = await info.context.loaders.contributions.steps_of_contribution.load(
            uuid.UUID(self.db_id)
        )
        return [ContributionStep.from_model(row) for row in rows]

    read_scope = Scope.CONTRIBUTIONS_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.contributions.by_id


async def load_contributions_of_plan(info: Info, plan_id: uuid.UUID) -> list[Contribution]:
    """The contributions to a plan that the principal may see, oldest first (batched per
    request: one statement for all plans); empty without contributions:read."""
    if not info.context.principal.has(Scope.CONTRIBUTIONS_READ):
        return []
    rows = await info.context.loaders.contributions.of_plan.load(plan_id)
    return [Contribution.from_model(row) for row in rows]


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


# --- the contributions list ---------------------------------------------------------------------


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
    description="Narrow an alliance's contributions; omitted fields do not narrow. The "
    "currency and amount conditions match only valuations you may see: a contribution "
    "whose valuation is hidden from you never matches them."
)
class ContributionFilter:
    organisation: strawberry.ID | None = strawberry.field(
        default=None, description="Only contributions of this organisation."
    )
    kinds: list[ContributionKind] | None = strawberry.field(
        default=None, description="Only contributions of these kinds."
    )
    statuses: list[ContributionStatus] | None = strawberry.field(
        default=None, description="Only contributions in these states."
    )
    plan: strawberry.ID | None = strawberry.field(
        default=None, description="Only contributions to this plan (one you can see)."
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


def _empty() -> Connection[Contribution]:
    return Connection(
        edges=[],
        page_info=PageInfo(
            has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None
        ),
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
    columns = (listing.sort_amount, model.created_at, model.id)
    keys = tuple_(*columns)
    clauses = []
    if page.after is not None:
        clauses.append(keys < tuple_(*_amount_keys(page.after, "after")))
    if page.before is not None:
        clauses.append(keys > tuple_(*_amount_keys(page.before, "before")))
    reverse = page.backwards
    statement = (
        listing.query.add_columns(listing.sort_amount)
        .where(*clauses)
        .order_by(*(column.asc() if reverse else column.desc() for column in columns))
        .limit(size + 1)
    )
    rows: list[Any] = list((await session.execute(statement)).all())
    more = len(rows) > size
    rows = rows[:size]
    if reverse:
        rows.reverse()
        has_next, has_previous = page.before is not None, more
    else:
        has_next, has_previous = more, page.after is not None
    edges = [
        Edge(node=Contribution.from_model(row[0]), cursor=_amount_cursor(row[1], row[0]))
        for row in rows
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


async def resolve_contributions(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    filter: Annotated[
        ContributionFilter | None, strawberry.argument(description="Which contributions.")
    ] = None,
    first: Annotated[int | None, strawberry.argument(description="Page size (max 100).")] = None,
    after: Annotated[str | None, strawberry.argument(description="Cursor to start after.")] = None,
    last: Annotated[int | None, strawberry.argument(description="Page size from the end.")] = None,
    before: Annotated[str | None, strawberry.argument(description="Cursor to end before.")] = None,
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
    """The alliance's contributions you may see. Needs contributions:read; an alliance you
    are not a member of has none."""
    principal = info.context.principal
    chosen = filter or ContributionFilter()
    try:
        alliance_id = expect_global_id(alliance, "Alliance", "alliance")
        organisation_id = (
            expect_global_id(chosen.organisation, "Organisation", "organisation")
            if chosen.organisation is not None
            else None
        )
        plan_id = expect_global_id(chosen.plan, "Plan", "plan") if chosen.plan is not None else None
    except NotFound:
        return _empty()  # an ID of another type names nothing
    page = PageRequest(first=first, after=after, last=last, before=before)
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
        description="Contributions of an alliance visible to you, with filters (organisation, "
        "kinds, statuses, plan, currency and amount range on the valuations you may see) "
        "and keyset pagination. Needs contributions:read.",
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


# --- mutations ----------------------------------------------------------------------------------


@strawberry.input(
    description="An exact amount of money. The amount is a decimal string such as "
    '"1234567.89": not negative, below 10^16, at most two decimals (whole numbers for '
    "currencies without a minor unit, such as JPY)."
)
class MoneyInput:
    amount: Decimal = strawberry.field(description='The exact amount, e.g. "1234567.89".')
    currency: str = strawberry.field(
        description="ISO 4217 code of a currency in circulation (three capital letters, "
        "e.g. EUR, USD, CHF); unknown codes are refused."
    )


@strawberry.input(
    description="Record a contribution of your own organisation to an alliance. Any current "
    "member organisation may, with contributions:write; it becomes the contributor and the "
    "contribution starts PLEDGED with a first step. Its valuation is confidential: only "
    "your organisation and the steering committee's seat holders will see it."
)
class RecordContributionInput:
    alliance: strawberry.ID = strawberry.field(description="The alliance's ID.")
    kind: ContributionKind = strawberry.field(
        description="PERSONNEL, CASH, KNOWLEDGE, IP or EQUIPMENT."
    )
    description: str = strawberry.field(
        description="What exactly is contributed (1-20,000 characters)."
    )
    quantity: Decimal = strawberry.field(
        description="How much, in unit: a positive decimal string with at most three "
        'decimals, e.g. "1.5". Every reader of the contribution sees it.'
    )
    unit: str = strawberry.field(
        description="The unit of quantity (1-32 characters), e.g. FTE, person-months, units, EUR."
    )
    period_start: dt.date = strawberry.field(description="First day of the contribution.")
    period_end: dt.date = strawberry.field(
        description="Last day of the contribution; not before periodStart."
    )
    plan: strawberry.ID | None = strawberry.field(
        default=None, description="The plan it is for: one of the alliance's that you can see."
    )
    valuation: MoneyInput | None = strawberry.field(
        default=None, description="What it is worth (confidential); omit if not valued."
    )
    visibility: Visibility = strawberry.field(
        default=Visibility.ALLIANCE,
        description="Who sees the contribution: ALLIANCE (default, every member), COMMITTEE "
        "(seat holders of visibilityCommittee) or ORGANISATIONS (those listed in audience). "
        "Your organisation always sees it. Fixed once recorded.",
    )
    visibility_committee: strawberry.ID | None = strawberry.field(
        default=None,
        description="With visibility COMMITTEE (required then): a committee of the "
        "alliance. Not allowed otherwise.",
    )
    audience: list[str] | None = strawberry.field(
        default=None,
        description="With visibility ORGANISATIONS (required then): slugs of the member "
        "organisations to share it with. Not allowed otherwise.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Any string of 1-200 characters: a retry with the same key returns the "
        "first result instead of recording twice; the same key with a different input is "
        "refused (CONFLICT).",
    )


@strawberry.input(
    description="Change a PLEDGED or COMMITTED contribution, its valuation included. The "
    "contributing organisation only, with contributions:write (FORBIDDEN for other "
    "organisations that can see it). DELIVERED and WITHDRAWN contributions no longer "
    "change. Omitted fields stay as they are; visibility cannot be changed."
)
class UpdateContributionInput:
    contribution: strawberry.ID = strawberry.field(description="The contribution's ID.")
    version: int = strawberry.field(
        description="The version you edited; if it changed meanwhile you get CONFLICT."
    )
    kind: ContributionKind | None = strawberry.field(default=None, description="A new kind.")
    description: str | None = strawberry.field(
        default=None, description="A new description (1-20,000 characters)."
    )
    quantity: Decimal | None = strawberry.field(
        default=None, description="A new quantity: positive, at most three decimals."
    )
    unit: str | None = strawberry.field(default=None, description="A new unit (1-32 chars).")
    period_start: dt.date | None = strawberry.field(default=None, description="A new first day.")
    period_end: dt.date | None = strawberry.field(default=None, description="A new last day.")
    plan: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="A plan of the alliance you can see; null removes the plan, omitted keeps it.",
    )
    valuation: MoneyInput | None = strawberry.field(
        default=None,
        description="A new or corrected valuation (confidential). Omitted or null keeps the "
        "current one: a valuation can be corrected but not removed.",
    )


@strawberry.input(
    description="Commit to a pledged contribution: PLEDGED → COMMITTED. The contributing "
    "organisation only, with contributions:write."
)
class CommitContributionInput:
    contribution: strawberry.ID = strawberry.field(description="The contribution's ID.")
    version: int = strawberry.field(
        description="The version you saw; if it changed meanwhile you get CONFLICT."
    )
    note: str = strawberry.field(
        default="", description="Kept in the step (up to 2,000 characters)."
    )


@strawberry.input(
    description="Confirm that a committed contribution was delivered: COMMITTED → "
    "DELIVERED, with a step naming your organisation, user and the time. With "
    "contributions:write. " + contributions.DELIVERY_RULE
)
class ConfirmDeliveryInput:
    contribution: strawberry.ID = strawberry.field(description="The contribution's ID.")
    version: int = strawberry.field(
        description="The version you saw; if it changed meanwhile you get CONFLICT."
    )
    note: str = strawberry.field(
        default="", description="Kept in the step (up to 2,000 characters)."
    )


@strawberry.input(
    description="Withdraw a pledged or committed contribution: → WITHDRAWN (final). The "
    "contributing organisation only, with contributions:write."
)
class WithdrawContributionInput:
    contribution: strawberry.ID = strawberry.field(description="The contribution's ID.")
    version: int = strawberry.field(
        description="The version you saw; if it changed meanwhile you get CONFLICT."
    )
    note: str = strawberry.field(
        default="", description="Why it is withdrawn (up to 2,000 characters)."
    )


@strawberry.type(description="Result of a contribution mutation.")
class ContributionPayload:
    contribution: Contribution | None = strawberry.field(
        description="The contribution as recorded or changed."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


def _payload(row: portfolio.Contribution | None, errors: list[UserError]) -> ContributionPayload:
    return ContributionPayload(
        contribution=Contribution.from_model(row) if row else None, user_errors=errors
    )


def _money(value: MoneyInput | None) -> contributions.Money | None:
    if value is None:
        return None
    return contributions.Money(amount=value.amount, currency=value.currency)


def _optional_id(value: strawberry.ID | None, type_name: str, field: str) -> uuid.UUID | None:
    return expect_global_id(value, type_name, field) if value is not None else None


Transition = Callable[..., Awaitable[portfolio.Contribution]]


async def _transition(
    info: Info,
    change: Transition,
    contribution: strawberry.ID,
    version: int,
    note: str,
) -> ContributionPayload:
    ctx = info.context

    async def run() -> portfolio.Contribution:
        return await change(
            ctx.session,
            ctx.principal,
            expect_global_id(contribution, "Contribution", "contribution"),
            expected_version=version,
            note=note,
            now=utcnow(),
        )

    return _payload(*await guarded(ctx.session, run))


@strawberry.type
class Mutations:
    @strawberry.mutation(
        description="Record your organisation's contribution (PLEDGED). Any current member "
        "organisation, with contributions:write; accepts an idempotency key.",
        extensions=[Needs(Scope.CONTRIBUTIONS_WRITE)],
    )
    async def record_contribution(
        self,
        info: Info,
        input: Annotated[
            RecordContributionInput, strawberry.argument(description=INPUT_DESCRIPTION)
        ],
    ) -> ContributionPayload:
        ctx = info.context

        async def record() -> portfolio.Contribution:
            alliance_id = expect_global_id(input.alliance, "Alliance", "alliance")
            draft = contributions.Draft(
                kind=input.kind,
                description=input.description,
                quantity=input.quantity,
                unit=input.unit,
                period_start=input.period_start,
                period_end=input.period_end,
                plan_id=_optional_id(input.plan, "Plan", "plan"),
                valuation=_money(input.valuation),
                audience=contributions.Audience(
                    visibility=input.visibility,
                    committee_id=_optional_id(
                        input.visibility_committee, "Committee", "visibilityCommittee"
                    ),
                    organisation_slugs=tuple(input.audience or ()),
                ),
            )
            return await contributions.record_contribution(
                ctx.session,
                ctx.principal,
                alliance_id,
                draft,
                idempotency_key=input.idempotency_key,
                now=utcnow(),
            )

        return _payload(*await guarded(ctx.session, record))

    @strawberry.mutation(
        description="Change a pledged or committed contribution. The contributing "
        "organisation only, with contributions:write and the current version.",
        extensions=[Needs(Scope.CONTRIBUTIONS_WRITE)],
    )
    async def update_contribution(
        self,
        info: Info,
        input: Annotated[
            UpdateContributionInput, strawberry.argument(description=INPUT_DESCRIPTION)
        ],
    ) -> ContributionPayload:
        ctx = info.context

        async def update() -> portfolio.Contribution:
            set_plan = input.plan is not strawberry.UNSET
            changes = contributions.Changes(
                kind=input.kind,
                description=input.description,
                quantity=input.quantity,
                unit=input.unit,
                period_start=input.period_start,
                period_end=input.period_end,
                plan_id=_optional_id(input.plan, "Plan", "plan") if set_plan else None,
                set_plan=set_plan,
                valuation=_money(input.valuation),
            )
            return await contributions.update_contribution(
                ctx.session,
                ctx.principal,
                expect_global_id(input.contribution, "Contribution", "contribution"),
                expected_version=input.version,
                changes=changes,
                now=utcnow(),
            )

        return _payload(*await guarded(ctx.session, update))

    @strawberry.mutation(
        description="PLEDGED → COMMITTED. The contributing organisation only, with "
        "contributions:write.",
        extensions=[Needs(Scope.CONTRIBUTIONS_WRITE)],
    )
    async def commit_contribution(
        self,
        info: Info,
        input: Annotated[
            CommitContributionInput, strawberry.argument(description=INPUT_DESCRIPTION)
        ],
    ) -> ContributionPayload:
        return await _transition(
            info, contributions.commit_contribution, input.contribution, input.version, input.note
        )

    @strawberry.mutation(
        description="COMMITTED → DELIVERED, confirmed by the organisation that receives the "
        "contribution (its plan's owner, else the alliance's lead), never by the "
        "contributor. With contributions:write.",
        extensions=[Needs(Scope.CONTRIBUTIONS_WRITE)],
    )
    async def confirm_delivery(
        self,
        info: Info,
        input: Annotated[ConfirmDeliveryInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> ContributionPayload:
        return await _transition(
            info, contributions.confirm_delivery, input.contribution, input.version, input.note
        )

    @strawberry.mutation(
        description="PLEDGED or COMMITTED → WITHDRAWN. The contributing organisation only, "
        "with contributions:write.",
        extensions=[Needs(Scope.CONTRIBUTIONS_WRITE)],
    )
    async def withdraw_contribution(
        self,
        info: Info,
        input: Annotated[
            WithdrawContributionInput, strawberry.argument(description=INPUT_DESCRIPTION)
        ],
    ) -> ContributionPayload:
        return await _transition(
            info, contributions.withdraw_contribution, input.contribution, input.version, input.note
        )


NODE_TYPES: dict[str, type[relay.Node]] = {
    "Contribution": Contribution,
    "ContributionStep": ContributionStep,
}
