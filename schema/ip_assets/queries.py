"""Root fields that read IP assets: filters, orders and resolvers of its lists."""

from __future__ import annotations

import enum
from typing import Annotated

import strawberry

from auth.scopes import Scope
from db import portfolio
from portal import ip_assets
from portal.kernel.errors import NotFound
from schema.context import Info
from schema.ip_assets.enums import AccessDirection, AccessRequestStatus, IpKind
from schema.ip_assets.types import IpAccessRequest, IpAsset, _optional_id
from schema.kernel.ids import expect_global_id
from schema.kernel.pagination import (
    Connection,
    ForwardPageArgs,
    Ordering,
    PageArgs,
    empty_connection,
    paged,
    paginate,
)
from schema.kernel.scopes import Needs

ACCESS_REQUESTS_BY_CREATION = Ordering(
    "created_desc",
    (portfolio.IpAccessRequest.created_at, portfolio.IpAccessRequest.id),
    descending=True,
)


@strawberry.enum(description="Orders of the IP asset list.")
class IpAssetOrder(enum.Enum):
    TITLE = "title"
    CREATED_AT_DESC = "created_at_desc"


IP_ASSET_ORDERINGS = {
    IpAssetOrder.TITLE: Ordering("title", (portfolio.IpAsset.title, portfolio.IpAsset.id)),
    IpAssetOrder.CREATED_AT_DESC: Ordering(
        "created_desc", (portfolio.IpAsset.created_at, portfolio.IpAsset.id), descending=True
    ),
}


@strawberry.input(description="Narrow an alliance's IP register; omitted fields do not narrow.")
class IpAssetFilter:
    kinds: list[IpKind] | None = strawberry.field(
        default=None, description="Only assets of these kinds."
    )
    owner_organisation: strawberry.ID | None = strawberry.field(
        default=None, description="Only assets this organisation (an Organisation ID) owns."
    )
    plan: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only assets related to this plan (a Plan ID); a plan you cannot see "
        "matches nothing.",
    )
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive text in the title or description."
    )


@strawberry.input(description="Narrow an alliance's access requests; omitted fields do not narrow.")
class IpAccessRequestFilter:
    statuses: list[AccessRequestStatus] | None = strawberry.field(
        default=None, description="Only requests in these states."
    )
    asset: strawberry.ID | None = strawberry.field(
        default=None, description="Only requests for this asset (an IpAsset ID)."
    )
    direction: AccessDirection | None = strawberry.field(
        default=None,
        description="INCOMING: for assets your organisation owns; OUTGOING: made by your "
        "organisation. Both when omitted.",
    )


@paged
async def resolve_ip_assets(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    filter: Annotated[
        IpAssetFilter | None, strawberry.argument(description="Which assets.")
    ] = None,
    *,
    page: PageArgs,
    order_by: Annotated[
        IpAssetOrder,
        strawberry.argument(description="Sort order: by title, or newest first."),
    ] = IpAssetOrder.TITLE,
) -> Connection[IpAsset]:
    """The alliance's IP assets you may see. Needs ip:read; an alliance you are not a
    member of has none."""
    principal = info.context.principal
    chosen = filter or IpAssetFilter()
    try:
        alliance_id = expect_global_id(alliance, "Alliance", "alliance")
        owner_id = _optional_id(chosen.owner_organisation, "Organisation", "ownerOrganisation")
        plan_id = _optional_id(chosen.plan, "Plan", "plan")
    except NotFound:
        return empty_connection()  # an ID of another type names nothing
    query = ip_assets.alliance_ip_assets(
        principal,
        alliance_id,
        ip_assets.IpAssetFilter(
            kinds=chosen.kinds,
            owner_organisation_id=owner_id,
            plan_id=plan_id,
            search=chosen.search,
        ),
    )
    return await paginate(
        info.context.session, query, IP_ASSET_ORDERINGS[order_by], page, IpAsset.from_model
    )


@paged
async def resolve_ip_access_requests(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    filter: Annotated[
        IpAccessRequestFilter | None, strawberry.argument(description="Which requests.")
    ] = None,
    *,
    page: ForwardPageArgs,
) -> Connection[IpAccessRequest]:
    """Access requests of the alliance your organisation is party to, newest first. Needs
    ip:read; an alliance you are not a member of has none."""
    principal = info.context.principal
    chosen = filter or IpAccessRequestFilter()
    try:
        alliance_id = expect_global_id(alliance, "Alliance", "alliance")
        asset_id = _optional_id(chosen.asset, "IpAsset", "asset")
    except NotFound:
        return empty_connection()
    query = ip_assets.alliance_access_requests(
        principal,
        alliance_id,
        ip_assets.AccessRequestFilter(
            statuses=chosen.statuses, asset_id=asset_id, direction=chosen.direction
        ),
    )
    return await paginate(
        info.context.session,
        query,
        ACCESS_REQUESTS_BY_CREATION,
        page,
        IpAccessRequest.from_model,
    )


@strawberry.type
class Queries:
    ip_assets: Connection[IpAsset] = strawberry.field(
        resolver=resolve_ip_assets,
        description="The IP register of an alliance: assets visible to you, with filters "
        "(kinds, owner, plan, text). Needs ip:read.",
        extensions=[Needs(Scope.IP_READ)],
    )
    ip_access_requests: Connection[IpAccessRequest] = strawberry.field(
        resolver=resolve_ip_access_requests,
        description="Access requests of an alliance your organisation made or received for "
        "assets it owns, with filters (status, asset, direction). Needs ip:read.",
        extensions=[Needs(Scope.IP_READ)],
    )
