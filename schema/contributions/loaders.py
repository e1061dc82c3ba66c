"""The request's loaders of contributions: every nested list costs one statement per level."""

from __future__ import annotations

from auth import policy
from auth.principal import Principal
from db.portfolio import Contribution
from db.session import LockedSession
from schema.kernel.loading import by_id_loader, grouped_loader


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
