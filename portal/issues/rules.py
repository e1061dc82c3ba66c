"""Pure rules of issues: limits, each tier's response time, when an issue is overdue."""

from __future__ import annotations

import datetime as dt

from db.enums import (
    CommitteeTier,
    IssueStatus,
)
from db.governance import GovernanceRules

TITLE_MAX = 200
TEXT_MAX = 20_000
"""Longest description, note or resolution."""


def response_days(rules: GovernanceRules, tier: CommitteeTier) -> int:
    """Days a committee of ``tier`` has to answer an issue, by the alliance's rules."""
    return {
        CommitteeTier.OPERATIONAL: rules.operational_response_days,
        CommitteeTier.TACTICAL: rules.tactical_response_days,
        CommitteeTier.STRATEGIC: rules.strategic_response_days,
    }[tier]


def is_overdue(status: IssueStatus, due_at: dt.datetime, now: dt.datetime) -> bool:
    """Open and past its holding committee's response deadline (strictly: an issue due at
    ``now`` is not overdue yet)."""
    return status is IssueStatus.OPEN and due_at < now
