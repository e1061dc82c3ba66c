"""The request's loaders of research plans: every nested list costs one statement per level."""

from __future__ import annotations

from auth import policy
from auth.principal import Principal
from db import portfolio as db
from db.portfolio import Plan
from db.session import LockedSession
from schema.kernel.loading import audience_loader, by_columns_loader, by_id_loader, grouped_loader


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
            prime=self.by_id,
        )
        self.versions_of_plan = grouped_loader(
            session,
            policy.visible_plan_versions(principal),
            db.PlanVersion.plan_id,
            db.PlanVersion.number,
        )
        self.milestone_by_id = by_id_loader(session, policy.visible_milestones(principal))
        self.milestones_of_plan = grouped_loader(
            session,
            policy.visible_milestones(principal),
            db.Milestone.plan_id,
            db.Milestone.due_on,
            db.Milestone.id,
        )
        self.audience = audience_loader(session, principal, policy.visible_plans(principal))
        self.version_by_number = by_columns_loader(
            session,
            policy.visible_plan_versions(principal),
            db.PlanVersion.plan_id,
            db.PlanVersion.number,
        )
