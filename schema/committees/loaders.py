"""The request's loaders of committees and seats."""

from __future__ import annotations

from auth import policy
from auth.principal import Principal
from db.governance import Committee, Seat
from db.session import LockedSession
from schema.kernel.loading import by_id_loader, grouped_loader


class CommitteeLoaders:
    """Committees and seats of alliances the organisation is active in."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.by_id = by_id_loader(session, policy.alliance_records(principal, Committee))
        self.seat_by_id = by_id_loader(session, policy.alliance_records(principal, Seat))
        self.of_alliance = grouped_loader(
            session,
            policy.alliance_records(principal, Committee),
            Committee.alliance_id,
            Committee.created_at,
            Committee.id,
        )
