"""The request's loaders of research plans: every nested list costs one statement per level."""

from __future__ import annotations

from auth import policy
from auth.principal import Principal
from db.portfolio import Plan
from db.session import LockedSession
from schema.kernel.loading import by_id_loader, grouped_loader


class PlanLoaders:
    """Plans the organisation may see, their versions and milestones."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.by_id = by_id_loader(session, policy.visible_plans(principal))
        self.version_by_id = by_id_loader(session, policy.visible_plan_versions(principal))
        self.of_alliance = grouped_loader(
            session,
            policy.visible_plans(principal),
            Plan.alliance_id,
            Plan.updated_at.desc(),
            Plan.id.desc(),
        )
