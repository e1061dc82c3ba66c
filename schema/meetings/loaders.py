"""The request's loaders of meetings: every nested list costs one statement per level."""

from __future__ import annotations

from auth import policy
from auth.principal import Principal
from db.governance import Meeting
from db.session import LockedSession
from schema.kernel.loading import by_id_loader, grouped_loader


class MeetingLoaders:
    """Meetings of the committees of alliances the organisation is active in."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.by_id = by_id_loader(session, policy.alliance_records(principal, Meeting))
        self.of_committee = grouped_loader(
            session,
            policy.alliance_records(principal, Meeting),
            Meeting.committee_id,
            Meeting.starts_at,
            Meeting.id,
        )
