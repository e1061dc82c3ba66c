"""The request's loaders of OAuth clients."""

from __future__ import annotations

from auth import policy
from auth.principal import Principal
from db.session import LockedSession
from schema.kernel.loading import by_id_loader


class OAuthClientLoaders:
    """The organisation's own OAuth clients (only admins reach them)."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.by_id = by_id_loader(session, policy.own_oauth_clients(principal))
