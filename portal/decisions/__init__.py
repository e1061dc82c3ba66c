"""Decisions of committees: recorded, voted on in meetings or by written procedure, closed
with an outcome. Its modules are ``rules.py``, ``queries.py``, ``service.py``, ``jobs.py``;
this is the surface other packages use: ``from portal import decisions``."""

from __future__ import annotations

from portal.decisions.jobs import (
    DUE_WRITTEN_DECISIONS,
    close_due_written_decisions,
)
from portal.decisions.queries import (
    approving_decision,
    count_voting_seats,
    get_decision,
    votes_of,
)
from portal.decisions.rules import (
    QUALIFIED_SHARE,
    QUORUM_DECIMALS,
    Ballot,
    Result,
    compute_outcome,
    majority_for,
    quorum_reached,
)
from portal.decisions.service import (
    TEXT_MAX,
    Subject,
    SubjectLookup,
    cast_vote,
    close_decision,
    close_locked,
    record_decision,
)

__all__ = [
    "DUE_WRITTEN_DECISIONS",
    "QUALIFIED_SHARE",
    "QUORUM_DECIMALS",
    "TEXT_MAX",
    "Ballot",
    "Result",
    "Subject",
    "SubjectLookup",
    "approving_decision",
    "cast_vote",
    "close_decision",
    "close_due_written_decisions",
    "close_locked",
    "compute_outcome",
    "count_voting_seats",
    "get_decision",
    "majority_for",
    "quorum_reached",
    "record_decision",
    "votes_of",
]
