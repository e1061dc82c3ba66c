"""The request's loaders of issues: every nested list costs one statement per level."""

from __future__ import annotations

from auth import policy
from auth.principal import Principal
from db import governance
from db.session import LockedSession
from portal.issues import MOVE_ORDER
from schema.kernel.loading import audience_loader, by_id_loader, grouped_loader


class IssueLoaders:
    """Issues the organisation may see and their escalation history."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.by_id = by_id_loader(session, policy.visible_issues(principal))
        self.move_by_id = by_id_loader(session, policy.visible_issue_moves(principal))
        self.moves_of_issue = grouped_loader(
            session,
            policy.visible_issue_moves(principal),
            governance.IssueMove.issue_id,
            *MOVE_ORDER,
        )
        self.audience = audience_loader(session, principal, policy.visible_issues(principal))
