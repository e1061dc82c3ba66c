"""The request's loaders of the IP register: every nested list costs one statement per level."""

from __future__ import annotations

from auth import policy
from auth.principal import Principal
from db.session import LockedSession
from schema.kernel.loading import by_id_loader


class IpAssetLoaders:
    """IP assets the organisation may see, their owners and access requests."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.by_id = by_id_loader(session, policy.visible_ip_assets(principal))
