"""The request's loaders of contributions."""

from __future__ import annotations

from auth.principal import Principal
from db.session import LockedSession


class ContributionLoaders:
    """CONVERSION IN PROGRESS: this area's loaders move here from ``Loaders.get``."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self._session = session
        self._principal = principal
