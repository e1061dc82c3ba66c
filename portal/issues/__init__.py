"""Issues and their escalation up the committee tree. Its modules are ``rules.py``,
``queries.py``, ``service.py``, ``jobs.py``; this is the surface other packages use: ``from
portal import issues``."""

from __future__ import annotations

from portal.issues.jobs import (
    DUE_FOR_ESCALATION,
    escalate_overdue_issues,
)
from portal.issues.queries import (
    MOVE_ORDER,
    IssueFilter,
    alliance_issues,
    get_issue,
    overdue_condition,
)
from portal.issues.rules import (
    TEXT_MAX,
    TITLE_MAX,
    is_overdue,
    response_days,
)
from portal.issues.service import (
    escalate_issue,
    move_up,
    raise_issue,
    resolve_issue,
)

__all__ = [
    "DUE_FOR_ESCALATION",
    "MOVE_ORDER",
    "TEXT_MAX",
    "TITLE_MAX",
    "IssueFilter",
    "alliance_issues",
    "escalate_issue",
    "escalate_overdue_issues",
    "get_issue",
    "is_overdue",
    "move_up",
    "overdue_condition",
    "raise_issue",
    "resolve_issue",
    "response_days",
]
