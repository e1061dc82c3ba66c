"""The request's loaders of committees and seats."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import partial

from strawberry.dataloader import DataLoader

from auth import policy
from auth.principal import Principal
from db import governance as models
from db.governance import Committee, Seat
from db.models import User
from db.session import LockedSession
from portal.committees import SEAT_ORDER, representatives_of
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
            prime=self.by_id,
        )
        self.of_parent = grouped_loader(
            session,
            policy.alliance_records(principal, models.Committee),
            models.Committee.parent_id,
            models.Committee.created_at,
            models.Committee.id,
        )
        self.seats_of_committee = grouped_loader(
            session,
            policy.alliance_records(principal, models.Seat),
            models.Seat.committee_id,
            *SEAT_ORDER,
        )
        self.representatives_of_seat: DataLoader[uuid.UUID, list[User]] = DataLoader(
            load_fn=partial(_representatives, session, principal)
        )


async def _representatives(
    session: LockedSession, principal: Principal, seat_ids: Sequence[uuid.UUID]
) -> list[list[User]]:
    found = await representatives_of(session, principal, seat_ids)
    return [found.get(seat_id, []) for seat_id in seat_ids]
