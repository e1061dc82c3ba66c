"""The request's loaders of identity providers."""

from __future__ import annotations

from auth import policy
from auth.principal import Principal
from db.session import LockedSession
from schema.kernel.loading import by_id_loader


class IdentityProviderLoaders:
    """The organisation's own identity provider (only admins reach it)."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.by_id = by_id_loader(session, policy.own_identity_provider(principal))
