"""The request's loaders of action items: every nested list costs one statement per level."""

from __future__ import annotations

from auth import policy
from auth.principal import Principal
from db.governance import ActionItem
from db.session import LockedSession
from schema.kernel.loading import by_id_loader, grouped_loader


class ActionItemLoaders:
    """Action items of alliances the organisation is active in."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.by_id = by_id_loader(session, policy.alliance_records(principal, ActionItem))
        self.of_meeting = grouped_loader(
            session,
            policy.alliance_records(principal, ActionItem),
            ActionItem.meeting_id,
            ActionItem.due_on,
            ActionItem.id,
        )
