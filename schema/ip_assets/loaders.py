"""The request's loaders of the IP register: every nested list costs one statement per level."""

from __future__ import annotations

from auth import policy
from auth.principal import Principal
from db import portfolio
from db.models import Organisation
from db.session import LockedSession
from schema.kernel.loading import audience_loader, by_id_loader, grouped_loader

ACCESS_REQUEST_ORDER = (
    portfolio.IpAccessRequest.created_at.desc(),
    portfolio.IpAccessRequest.id.desc(),
)


class IpAssetLoaders:
    """IP assets the organisation may see, their owners and access requests."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.by_id = by_id_loader(session, policy.visible_ip_assets(principal))
        self.request_by_id = by_id_loader(session, policy.visible_access_requests(principal))
        self.owners_of_asset = grouped_loader(
            session,
            policy.visible_ip_asset_owners(principal).join(
                Organisation, Organisation.id == portfolio.IpAssetOwner.organisation_id
            ),
            portfolio.IpAssetOwner.ip_asset_id,
            Organisation.name,
            Organisation.id,
        )
        self.requests_of_asset = grouped_loader(
            session,
            policy.visible_access_requests(principal),
            portfolio.IpAccessRequest.ip_asset_id,
            *ACCESS_REQUEST_ORDER,
        )
        self.audience = audience_loader(session, principal, policy.visible_ip_assets(principal))
