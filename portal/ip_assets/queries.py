"""The IP register's reading side: list filters, the policy-scoped selections of assets and
access requests, the getters and who owns an asset."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_

from auth import policy
from auth.principal import Principal
from auth.scopes import Scope
from db.enums import AccessRequestStatus, IpKind
from db.portfolio import IpAccessRequest, IpAsset, IpAssetOwner, Plan
from db.session import LockedSession
from portal.kernel.checks import escape_like
from portal.kernel.lookup import get_visible


class AccessDirection(enum.StrEnum):
    """Which side of an access request the caller's organisation is on."""

    INCOMING = "incoming"
    """Requests for assets the organisation owns."""
    OUTGOING = "outgoing"
    """Requests the organisation made."""


@dataclass(frozen=True, slots=True)
class IpAssetFilter:
    """Which assets of an alliance to list; ``None`` does not narrow."""

    kinds: Sequence[IpKind] | None = None
    owner_organisation_id: uuid.UUID | None = None
    plan_id: uuid.UUID | None = None
    search: str | None = None
    """Case-insensitive text in the title or description."""


@dataclass(frozen=True, slots=True)
class AccessRequestFilter:
    """Which access requests of an alliance to list; ``None`` does not narrow."""

    statuses: Sequence[AccessRequestStatus] | None = None
    asset_id: uuid.UUID | None = None
    direction: AccessDirection | None = None


def require_read(principal: Principal) -> None:
    """Reading the register needs ip:read."""
    policy.require_scope(principal, Scope.IP_READ)


def require_write(principal: Principal) -> None:
    """Every change to the register needs ip:write."""
    policy.require_scope(principal, Scope.IP_WRITE)


def alliance_ip_assets(
    principal: Principal, alliance_id: uuid.UUID, chosen: IpAssetFilter
) -> Select[Any]:
    """The assets of an alliance the principal may see, narrowed by ``chosen``. Filtering
    by a plan the principal cannot see finds nothing, so it reveals nothing."""
    require_read(principal)
    query = policy.visible_ip_assets(principal).where(IpAsset.alliance_id == alliance_id)
    if chosen.kinds:
        query = query.where(IpAsset.kind.in_(chosen.kinds))
    if chosen.owner_organisation_id is not None:
        owned = (
            policy.visible_ip_asset_owners(principal)
            .where(IpAssetOwner.organisation_id == chosen.owner_organisation_id)
            .with_only_columns(IpAssetOwner.ip_asset_id)
        )
        query = query.where(IpAsset.id.in_(owned))
    if chosen.plan_id is not None:
        plan = (
            policy.visible_plans(principal)
            .where(Plan.id == chosen.plan_id)
            .with_only_columns(Plan.id)
        )
        query = query.where(IpAsset.plan_id.in_(plan))
    if chosen.search and chosen.search.strip():
        pattern = f"%{escape_like(chosen.search.strip())}%"
        query = query.where(or_(IpAsset.title.ilike(pattern), IpAsset.description.ilike(pattern)))
    return query


def alliance_access_requests(
    principal: Principal, alliance_id: uuid.UUID, chosen: AccessRequestFilter
) -> Select[Any]:
    """Access requests of an alliance the principal's organisation is party to (it made
    them, or owns the asset), narrowed by ``chosen``."""
    require_read(principal)
    query = policy.visible_access_requests(principal).where(
        IpAccessRequest.alliance_id == alliance_id
    )
    if chosen.statuses:
        query = query.where(IpAccessRequest.status.in_(chosen.statuses))
    if chosen.asset_id is not None:
        query = query.where(IpAccessRequest.ip_asset_id == chosen.asset_id)
    if chosen.direction is AccessDirection.INCOMING:
        query = query.where(IpAccessRequest.ip_asset_id.in_(policy.owned_ip_asset_ids(principal)))
    elif chosen.direction is AccessDirection.OUTGOING:
        query = query.where(IpAccessRequest.organisation_id == principal.organisation_id)
    return query


async def get_ip_asset(
    session: LockedSession,
    principal: Principal,
    asset_id: uuid.UUID,
    *,
    for_update: bool = False,
    field: str = "asset",
) -> IpAsset:
    """A visible asset, or ``NotFound`` (also when it exists out of the principal's view)."""
    return await get_visible(
        session,
        policy.visible_ip_assets(principal),
        asset_id,
        what="IP asset",
        field=field,
        for_update=for_update,
    )


async def get_access_request(
    session: LockedSession,
    principal: Principal,
    request_id: uuid.UUID,
    *,
    for_update: bool = False,
    field: str = "request",
) -> IpAccessRequest:
    """An access request the principal's organisation is party to, or ``NotFound``."""
    return await get_visible(
        session,
        policy.visible_access_requests(principal),
        request_id,
        what="access request",
        field=field,
        for_update=for_update,
    )


async def owns(session: LockedSession, principal: Principal, asset_id: uuid.UUID) -> bool:
    """Whether the principal's organisation is one of the asset's owners."""
    owned = await session.scalar(
        policy.owned_ip_asset_ids(principal).where(IpAssetOwner.ip_asset_id == asset_id)
    )
    return owned is not None
