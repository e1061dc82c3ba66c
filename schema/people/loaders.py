"""The request's loaders of people."""

from __future__ import annotations

from auth import policy
from auth.principal import Principal
from db.session import LockedSession
from schema.kernel.loading import by_id_loader


class PeopleLoaders:
    """The people of the principal's own organisation, never another's."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.by_id = by_id_loader(session, policy.own_users(principal))
