"""The request's loaders of organisations."""

from __future__ import annotations

from auth import policy
from auth.principal import Principal
from db.session import LockedSession
from schema.kernel.loading import by_id_loader


class OrganisationLoaders:
    """Organisations the principal can see: its own and those sharing an alliance."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.by_id = by_id_loader(session, policy.visible_organisations(principal))
