"""The contributions ledger: the Contribution and ContributionStep types, the contributions
list, the valuation and quantity summaries, and the recordContribution /
updateContribution / commitContribution / confirmDelivery / withdrawContribution
mutations. The rules live in ``portal.contributions``.

Amounts are exact decimals (strawberry's ``Decimal`` scalar, a string on the wire) and
are read only through ``policy.visible_valuations``: per contribution by a grouped
loader, in lists through a LEFT JOIN onto that selection, in summaries through one
GROUP BY over it."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth import policy
from auth.scopes import Scope
from db import portfolio
from schema.alliances.types import Alliance
from schema.context import Info
from schema.contributions.enums import (
    ContributionKind,
    ContributionStatus,
    ValuationHiddenReason,
)
from schema.kernel import sql
from schema.kernel.enums import Visibility
from schema.kernel.ids import to_global_id
from schema.kernel.nodes import AreaNode, load_one, load_required
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


async def _plan_gid(info: Info, plan_id: uuid.UUID | None) -> relay.GlobalID | None:
    """The global id of a plan the principal can see; None for no plan or a hidden one."""
    if plan_id is None or await info.context.loaders.plans.by_id.load(plan_id) is None:
        return None
    return to_global_id("Plan", plan_id)


VALUATIONS = sql.Table(
    "contribution_valuations",
    f"({{t}}.organisation_id = {sql.ME} OR {{t}}.alliance_id = ANY {sql.STEERING_ALLIANCES})",
)
"""The valuations a reader sees (``policy.visible_valuations``), of a visible contribution."""

VALUATION_HIDDEN_REASON = " ".join(
    (
        "(CASE WHEN EXISTS (SELECT 1 FROM public.contribution_valuations v",
        "WHERE v.contribution_id = {t}.id AND",
        VALUATIONS.visible.replace("{t}", "v") + ") THEN NULL",
        f"WHEN {{t}}.organisation_id = {sql.ME}",
        f"OR {{t}}.alliance_id = ANY {sql.STEERING_ALLIANCES}",
        f"THEN '{ValuationHiddenReason.NOT_VALUED.name}'",
        f"ELSE '{ValuationHiddenReason.CONFIDENTIAL.name}' END)",
    )
)
"""``valuationHiddenReason`` as SQL: the rule of ``policy.sees_valuation``."""


@strawberry.type(description="An exact amount of money. " + VALUATION_AUDIENCE)
class Money:
    amount: Decimal = strawberry.field(
        metadata=sql.column("{t}.amount", "decimal"),
        description="The exact amount as a decimal string with two decimals, e.g. "
        '"1234567.89" (never a float).',
    )
    currency: str = strawberry.field(
        metadata=sql.column("{t}.currency"), description="ISO 4217 currency code, e.g. EUR."
    )


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
        metadata=sql.column("{t}.kind", enum=ContributionKind),
        description="PERSONNEL, CASH, KNOWLEDGE, IP or EQUIPMENT.",
    )
    description: str = strawberry.field(
        metadata=sql.column("{t}.description"), description="What exactly is contributed."
    )
    quantity: Decimal = strawberry.field(
        metadata=sql.column("{t}.quantity", "decimal"),
        description="How much, in unit: an exact decimal string with three decimals, e.g. "
        '"1.500" FTE. Not confidential: every reader of the contribution sees it, so a '
        "confidential amount belongs in the valuation, not in a quantity of currency units.",
    )
    unit: str = strawberry.field(
        metadata=sql.column("{t}.unit"),
        description="The unit of quantity, e.g. FTE, person-months, units, EUR.",
    )
    period_start: dt.date = strawberry.field(
        metadata=sql.column("{t}.period_start", "date"),
        description="First day of the contribution.",
    )
    period_end: dt.date = strawberry.field(
        metadata=sql.column("{t}.period_end", "date"), description="Last day of the contribution."
    )
    status: ContributionStatus = strawberry.field(
        metadata=sql.column("{t}.status", enum=ContributionStatus),
        description="PLEDGED, COMMITTED, DELIVERED or WITHDRAWN; see steps for who moved it.",
    )
    visibility: Visibility = strawberry.field(
        metadata=sql.column("{t}.visibility", enum=Visibility),
        description="ALLIANCE (every member), COMMITTEE (seat holders of "
        "visibilityCommittee) or ORGANISATIONS (the audience). The contributing "
        "organisation sees its contribution whatever it says.",
    )
    version: int = strawberry.field(
        metadata=sql.column("{t}.version", "int"),
        description="Changes with every update and step; send it back with the mutations.",
    )
    created_at: dt.datetime = strawberry.field(
        metadata=sql.column("{t}.created_at", "datetime"), description="When it was recorded."
    )

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

    @strawberry.field(
        metadata=sql.to_one("Organisation", "{c}.id = {p}.organisation_id"),
        description="The contributing organisation.",
    )
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
        metadata=sql.to_one("Money", "{c}.contribution_id = {p}.id", table=VALUATIONS),
        description="What the contribution is worth: an exact decimal amount and its ISO "
        "4217 currency. "
        + VALUATION_AUDIENCE
        + " Null for every other reader, and when no valuation was recorded; "
        "valuationHiddenReason says which.",
    )
    async def valuation(self, info: Info) -> Money | None:
        rows = await info.context.loaders.contributions.valuations_of_contribution.load(
            uuid.UUID(self.db_id)
        )
        return Money(amount=rows[0].amount, currency=rows[0].currency) if rows else None

    @strawberry.field(
        metadata=sql.column(VALUATION_HIDDEN_REASON),
        description="Why valuation is null: NOT_VALUED (none recorded; told only to the "
        "contributing organisation and steering committee seat holders) or CONFIDENTIAL "
        "(you are neither, whether or not a valuation exists). Null when valuation is set.",
    )
    async def valuation_hidden_reason(self, info: Info) -> ValuationHiddenReason | None:
        if await info.context.loaders.contributions.valuations_of_contribution.load(
            uuid.UUID(self.db_id)
        ):
            return None
        steering = info.context.loaders.contributions.steering_seat_in_alliance
        entitled = await policy.sees_valuation(
            info.context.principal,
            self.organisation_id,
            lambda: steering.load(self.alliance_id),
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

    sql_table = sql.Table("contributions", sql.visible_to_audience(f"organisation_id = {sql.ME}"))


async def load_contributions_of_plan(info: Info, plan_id: uuid.UUID) -> list[Contribution]:
    """The contributions to a plan that the principal may see, oldest first (batched per
    request: one statement for all plans); empty without contributions:read."""
    if not info.context.principal.has(Scope.CONTRIBUTIONS_READ):
        return []
    rows = await info.context.loaders.contributions.of_plan.load(plan_id)
    return [Contribution.from_model(row) for row in rows]


NODE_TYPES: dict[str, type[relay.Node]] = {
    "Contribution": Contribution,
    "ContributionStep": ContributionStep,
}
