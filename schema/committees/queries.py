"""Root fields that read committees: filters, orders and resolvers of its lists."""

from __future__ import annotations

import enum
from typing import Annotated

import strawberry

from auth.scopes import Scope
from db import governance as models
from portal import committees
from portal.kernel.errors import NotFound
from schema.committees.enums import CommitteeTier
from schema.committees.types import Committee, GovernanceRules, _known
from schema.context import Info
from schema.kernel.ids import expect_global_id
from schema.kernel.pagination import (
    Connection,
    Ordering,
    PageArgs,
    connection_from,
    paged,
    paginate,
)
from schema.kernel.scopes import Needs


@strawberry.enum(description="Orders of a committee list.")
class CommitteeOrder(enum.Enum):
    CREATED_AT = strawberry.enum_value("created_at", description="Oldest first.")
    NAME = strawberry.enum_value("name", description="By name, A to Z.")


COMMITTEE_ORDERINGS = {
    CommitteeOrder.CREATED_AT: Ordering(
        "created", (models.Committee.created_at, models.Committee.id)
    ),
    CommitteeOrder.NAME: Ordering("name", (models.Committee.name, models.Committee.id)),
}


@strawberry.input(description="Narrow a committee list.")
class CommitteeFilter:
    tiers: list[CommitteeTier] | None = strawberry.field(
        default=None, description="Only committees of these tiers."
    )
    parent: strawberry.ID | None = strawberry.field(
        default=None, description="Only the committees directly under this committee."
    )


@paged
async def resolve_committees(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    filter: Annotated[
        CommitteeFilter | None, strawberry.argument(description="Which committees.")
    ] = None,
    order_by: Annotated[
        CommitteeOrder, strawberry.argument(description="Sort order (oldest first by default).")
    ] = CommitteeOrder.CREATED_AT,
    *,
    page: PageArgs,
) -> Connection[Committee]:
    """An alliance's committees; empty when the alliance does not exist or your
    organisation is not a current member. Needs governance:read."""
    principal = info.context.principal
    chosen = filter or CommitteeFilter()
    ordering = COMMITTEE_ORDERINGS[order_by]
    page.size()
    try:
        alliance_id = expect_global_id(alliance, "Alliance", "alliance")
        parent_id = (
            expect_global_id(chosen.parent, "Committee", "parent")
            if chosen.parent is not None
            else None
        )
    except NotFound:  # an ID of another type names nothing: nothing matches
        return connection_from(([], False, False), ordering, Committee.from_model)
    query = committees.alliance_committees(
        principal, alliance_id, tiers=chosen.tiers, parent_id=parent_id
    )
    return await paginate(
        info.context.session, query, ordering, page, lambda row: _known(info, row)
    )


async def resolve_governance_rules(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
) -> GovernanceRules | None:
    """An alliance's procedural rules; null when it does not exist or your organisation is
    not a current member. Needs governance:read."""
    principal = info.context.principal
    try:
        alliance_id = expect_global_id(alliance, "Alliance", "alliance")
    except NotFound:
        return None
    row = await committees.get_governance_rules(info.context.session, principal, alliance_id)
    return GovernanceRules.from_model(row) if row else None


@strawberry.type
class Queries:
    committees: Connection[Committee] = strawberry.field(
        resolver=resolve_committees,
        description="An alliance's committees, visible to its current members; empty for "
        "an alliance you are not in or that does not exist. Needs governance:read.",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )
    governance_rules: GovernanceRules | None = strawberry.field(
        resolver=resolve_governance_rules,
        description="An alliance's procedural rules; null for an alliance you are not in or "
        "that does not exist. Needs governance:read.",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )
