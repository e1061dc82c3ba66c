"""The request's loaders of API tokens."""

from __future__ import annotations

from auth import policy
from auth.principal import Principal
from db.session import LockedSession
from schema.kernel.loading import by_id_loader


class ApiTokenLoaders:
    """The organisation's own API tokens (only admins reach them)."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.by_id = by_id_loader(session, policy.own_api_tokens(principal))
