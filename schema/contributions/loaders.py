"""The request's loaders of contributions: every nested list costs one statement per level."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import partial

from strawberry.dataloader import DataLoader

from auth import policy
from auth.principal import Principal
from db import portfolio
from db.governance import Seat
from db.portfolio import Contribution
from db.session import LockedSession
from schema.kernel.loading import audience_loader, by_id_loader, grouped_loader


class ContributionLoaders:
    """Contributions the organisation may see, and what it may see of them."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.by_id = by_id_loader(session, policy.visible_contributions(principal))
        self.of_plan = grouped_loader(
            session,
            policy.visible_contributions(principal),
            Contribution.plan_id,
            Contribution.created_at,
            Contribution.id,
        )
        self.step_by_id = by_id_loader(session, policy.visible_contribution_steps(principal))
        self.steps_of_contribution = grouped_loader(
            session,
            policy.visible_contribution_steps(principal),
            portfolio.ContributionStep.contribution_id,
            portfolio.ContributionStep.at,
            portfolio.ContributionStep.id,
        )
        self.audience = audience_loader(session, principal, policy.visible_contributions(principal))
        self.valuations_of_contribution = grouped_loader(
            session,
            policy.visible_valuations(principal),
            portfolio.ContributionValuation.contribution_id,
        )
        self.steering_seat_in_alliance: DataLoader[uuid.UUID, bool] = DataLoader(
            load_fn=partial(_steering_seats, session, principal)
        )


async def _steering_seats(
    session: LockedSession, principal: Principal, alliance_ids: Sequence[uuid.UUID]
) -> list[bool]:
    """Per alliance: does the principal's organisation sit on its steering committee."""
    seated = set(
        await session.scalars(
            policy.steering_alliance_ids(principal).where(Seat.alliance_id.in_(alliance_ids))
        )
    )
    return [alliance_id in seated for alliance_id in alliance_ids]
