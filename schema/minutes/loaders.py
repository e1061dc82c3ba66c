"""The request's loaders of minutes: every nested list costs one statement per level."""

from __future__ import annotations

from auth import policy
from auth.principal import Principal
from db.governance import Minutes
from db.session import LockedSession
from schema.kernel.loading import by_id_loader, grouped_loader


class MinutesLoaders:
    """Minutes whose audience includes the organisation."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.by_id = by_id_loader(session, policy.visible_minutes(principal))
        self.of_meeting = grouped_loader(
            session, policy.visible_minutes(principal), Minutes.meeting_id
        )
