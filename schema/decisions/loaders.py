"""The request's loaders of decisions: every nested list costs one statement per level."""

from __future__ import annotations

from auth import policy
from auth.principal import Principal
from db import governance
from db.governance import Decision
from db.session import LockedSession
from schema.kernel.loading import by_id_loader, grouped_loader


class DecisionLoaders:
    """Decisions of alliances the organisation is active in."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.by_id = by_id_loader(session, policy.alliance_records(principal, Decision))
        self.of_meeting = grouped_loader(
            session,
            policy.alliance_records(principal, Decision),
            Decision.meeting_id,
            Decision.created_at,
            Decision.id,
        )
        self.vote_by_id = by_id_loader(session, policy.alliance_records(principal, governance.Vote))
        self.votes_of_decision = grouped_loader(
            session,
            policy.alliance_records(principal, governance.Vote),
            governance.Vote.decision_id,
            governance.Vote.cast_at,
            governance.Vote.id,
        )
