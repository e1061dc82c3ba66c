"""Reading issues: the list filter and selection, the history order, the getter."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, not_

from auth import policy
from auth.principal import Principal
from db.enums import (
    IssueMoveKind,
    IssueSeverity,
    IssueStatus,
)
from db.governance import Issue, IssueMove
from db.session import LockedSession
from portal.committees.queries import (
    require_read,
)
from portal.kernel.lookup import get_visible

MOVE_ORDER: tuple[ColumnElement[Any], ...] = (
    IssueMove.moved_at.asc(),
    case(
        (IssueMove.kind == IssueMoveKind.RAISED, 0),
        (IssueMove.kind == IssueMoveKind.RESOLVED, 2),
        else_=1,
    ).asc(),
    IssueMove.id.asc(),
)
"""History order: by time; within one moment raised before moved before resolved."""


def overdue_condition(now: dt.datetime) -> ColumnElement[bool]:
    """``is_overdue`` in SQL."""
    return and_(Issue.status == IssueStatus.OPEN, Issue.due_at < now)


@dataclass(frozen=True, slots=True)
class IssueFilter:
    """Which issues of an alliance to list; ``None`` does not narrow."""

    committee_id: uuid.UUID | None = None
    """Only issues held by this committee."""
    statuses: Sequence[IssueStatus] | None = None
    severities: Sequence[IssueSeverity] | None = None
    overdue: bool | None = None
    """True: only open issues past their deadline; false: only the others."""


def alliance_issues(
    principal: Principal, alliance_id: uuid.UUID, chosen: IssueFilter, *, now: dt.datetime
) -> Select[Any]:
    """The issues of an alliance the principal may see (their audience, the raising
    organisation, seat holders of the holding committee), narrowed by ``chosen``."""
    require_read(principal)
    query = policy.visible_issues(principal).where(Issue.alliance_id == alliance_id)
    if chosen.committee_id is not None:
        query = query.where(Issue.holding_committee_id == chosen.committee_id)
    if chosen.statuses:
        query = query.where(Issue.status.in_(chosen.statuses))
    if chosen.severities:
        query = query.where(Issue.severity.in_(chosen.severities))
    if chosen.overdue is not None:
        overdue = overdue_condition(now)
        query = query.where(overdue if chosen.overdue else not_(overdue))
    return query


async def get_issue(
    session: LockedSession,
    principal: Principal,
    issue_id: uuid.UUID,
    *,
    for_update: bool = False,
    field: str = "issue",
) -> Issue:
    """A visible issue, or ``NotFound`` (also when it exists but is hidden from the
    principal's organisation)."""
    return await get_visible(
        session,
        policy.visible_issues(principal),
        issue_id,
        what="issue",
        field=field,
        for_update=for_update,
    )
