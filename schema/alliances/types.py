"""Alliance and Membership types, and the queries that list them."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import or_
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth import policy
from auth.scopes import Scope
from db import models
from portal.kernel.checks import escape_like
from portal.kernel.errors import DomainError
from schema.alliances.enums import AllianceStatus, MembershipRole

if TYPE_CHECKING:
    from schema.committees.types import Committee
    from schema.loaders import Loaders
    from schema.plans.types import Plan
from schema.alliances.loaders import MEMBERS_BY_JOINED, MembersKey
from schema.context import Info
from schema.kernel import sql
from schema.kernel.ids import expect_global_id
from schema.kernel.nodes import AreaNode, load_list
from schema.kernel.pagination import (
    Connection,
    Ordering,
    PageArgs,
    connection_from,
    paged,
    paginate,
)
from schema.kernel.scopes import Needs
from schema.organisations.types import Organisation, load_organisation


@strawberry.type(description="An organisation's membership of an alliance, current or past.")
class Membership(AreaNode):
    db_id: relay.NodeID[str]
    alliance_id: strawberry.Private[uuid.UUID]
    organisation_id: strawberry.Private[uuid.UUID]
    role: MembershipRole = strawberry.field(description="Lead, partner, associate or observer.")
    commitment: str = strawberry.field(description="What the organisation agreed to bring.")
    joined_at: dt.datetime = strawberry.field(description="When it joined.")
    left_at: dt.datetime | None = strawberry.field(description="When it left; null while current.")

    @classmethod
    def from_model(cls, row: models.Membership) -> Membership:
        return cls(
            db_id=str(row.id),
            alliance_id=row.alliance_id,
            organisation_id=row.organisation_id,
            role=row.role,
            commitment=row.commitment,
            joined_at=row.joined_at,
            left_at=row.left_at,
        )

    @strawberry.field(description="The member organisation.")
    async def organisation(self, info: Info) -> Organisation:
        return await load_organisation(info, self.organisation_id)

    @strawberry.field(description="The alliance.")
    async def alliance(self, info: Info) -> Alliance:
        row = await info.context.loaders.alliances.by_id.load(self.alliance_id)
        if row is None:
            raise LookupError("a visible membership's alliance is visible")
        return Alliance.from_model(row)

    read_scope = Scope.ALLIANCES_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.alliances.membership_by_id


@strawberry.input(description="Narrow an alliance's member list.")
class MemberFilter:
    roles: list[MembershipRole] | None = strawberry.field(
        default=None, description="Only these roles."
    )
    include_former: bool = strawberry.field(
        default=False, description="Include organisations that have left."
    )


@strawberry.type(
    description="A research alliance: its charter, status, dates and members. "
    "Visible only to organisations that are current members."
)
class Alliance(AreaNode):
    db_id: relay.NodeID[str]
    name: str = strawberry.field(
        metadata=sql.column("{t}.name"), description="The alliance's name."
    )
    purpose: str = strawberry.field(
        metadata=sql.column("{t}.purpose"), description="Charter: why the alliance exists."
    )
    strategy: str = strawberry.field(
        metadata=sql.column("{t}.strategy"), description="Charter: how it means to get there."
    )
    vision: str = strawberry.field(
        metadata=sql.column("{t}.vision"), description="Charter: where it wants to be."
    )
    status: AllianceStatus = strawberry.field(
        metadata=sql.column("{t}.status", enum=AllianceStatus),
        description="Forming, active, closing or closed.",
    )
    starts_on: dt.date | None = strawberry.field(
        metadata=sql.column("{t}.starts_on", "date"), description="First day of the agreement."
    )
    ends_on: dt.date | None = strawberry.field(
        metadata=sql.column("{t}.ends_on", "date"), description="Last day of the agreement."
    )
    version: int = strawberry.field(
        metadata=sql.column("{t}.version", "int"),
        description="Charter version; send it back with updateAllianceCharter.",
    )
    created_at: dt.datetime = strawberry.field(
        metadata=sql.column("{t}.created_at", "datetime"),
        description="When the alliance was founded.",
    )
    updated_at: dt.datetime = strawberry.field(
        metadata=sql.column("{t}.updated_at", "datetime"), description="When it last changed."
    )

    @classmethod
    def from_model(cls, row: models.Alliance) -> Alliance:
        return cls(
            db_id=str(row.id),
            name=row.name,
            purpose=row.purpose,
            strategy=row.strategy,
            vision=row.vision,
            status=row.status,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field(description="Member organisations, in the order they joined.")
    @paged
    async def members(
        self,
        info: Info,
        page: PageArgs,
        filter: Annotated[
            MemberFilter | None, strawberry.argument(description="Which members to list.")
        ] = None,
    ) -> Connection[Membership]:
        chosen = filter or MemberFilter()
        key = MembersKey(
            alliance_id=uuid.UUID(self.db_id),
            page=page,
            roles=tuple(chosen.roles) if chosen.roles else None,
            include_former=chosen.include_former,
        )
        key.page.size()  # validate before batching
        result = await info.context.loaders.alliances.members.load(key)
        return connection_from(result, MEMBERS_BY_JOINED, Membership.from_model)

    @strawberry.field(
        description="Its committees, the steering committee first. Needs governance:read.",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )
    async def committees(
        self, info: Info
    ) -> list[Annotated[Committee, strawberry.lazy("schema.committees.types")]]:
        return await load_list(
            info, info.context.loaders.committees.of_alliance, uuid.UUID(self.db_id)
        )

    @strawberry.field(
        metadata=sql.to_many(
            "Plan",
            "{c}.alliance_id = {p}.id",
            "{c}.updated_at DESC, {c}.id DESC",
            scope=Scope.PLANS_READ,
        ),
        description="Its research plans visible to you, most recently changed first; page "
        "through them with the top-level plans query. Needs plans:read.",
        extensions=[Needs(Scope.PLANS_READ)],
    )
    async def plans(
        self, info: Info
    ) -> list[Annotated[Plan, strawberry.lazy("schema.plans.types")]]:
        return await load_list(info, info.context.loaders.plans.of_alliance, uuid.UUID(self.db_id))

    read_scope = Scope.ALLIANCES_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.alliances.by_id

    sql_table = sql.Table("alliances", f"{{t}}.id = ANY {sql.MEMBER_ALLIANCES}")


@strawberry.enum(description="Orders of the alliance list.")
class AllianceOrder(enum.Enum):
    NAME = "name"
    CREATED_AT_DESC = "created_at_desc"


ALLIANCE_ORDERINGS = {
    AllianceOrder.NAME: Ordering("name", (models.Alliance.name, models.Alliance.id)),
    AllianceOrder.CREATED_AT_DESC: Ordering(
        "created_desc", (models.Alliance.created_at, models.Alliance.id), descending=True
    ),
}


@strawberry.input(description="Narrow the alliance list.")
class AllianceFilter:
    statuses: list[AllianceStatus] | None = strawberry.field(
        default=None, description="Only alliances in these states."
    )
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive text in the name or purpose."
    )


@paged
async def resolve_alliances(
    info: Info,
    page: PageArgs,
    filter: Annotated[
        AllianceFilter | None, strawberry.argument(description="Which alliances.")
    ] = None,
    order_by: Annotated[
        AllianceOrder, strawberry.argument(description="Sort order.")
    ] = AllianceOrder.NAME,
) -> Connection[Alliance]:
    """Alliances the viewer's organisation is a current member of. Needs alliances:read."""
    principal = info.context.principal
    query = policy.visible_alliances(principal)
    if filter is not None and filter.statuses:
        query = query.where(models.Alliance.status.in_(filter.statuses))
    if filter is not None and filter.search:
        pattern = f"%{escape_like(filter.search)}%"
        query = query.where(
            or_(models.Alliance.name.ilike(pattern), models.Alliance.purpose.ilike(pattern))
        )
    return await paginate(
        info.context.session, query, ALLIANCE_ORDERINGS[order_by], page, Alliance.from_model
    )


async def resolve_alliance(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
) -> Alliance | None:
    """One alliance, or null when it does not exist or the viewer is not a member."""
    try:
        alliance_id = expect_global_id(id, "Alliance", "id")
    except DomainError as error:
        if error.code.value == "NOT_FOUND":
            return None
        raise
    row = await info.context.loaders.alliances.by_id.load(alliance_id)
    return Alliance.from_model(row) if row else None
