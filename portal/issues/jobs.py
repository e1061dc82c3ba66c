"""Automatic escalation: an open issue whose committee let its deadline pass moves one tier
up the committee tree, as the server acting for an organisation seated on the holding
committee."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import and_, text

from auth import policy
from auth.principal import Principal
from db.enums import IssueMoveKind
from db.governance import Committee, Issue
from db.session import LockedSession
from portal.issues.queries import overdue_condition
from portal.issues.service import move_up
from portal.kernel.system import Sessions, handle_due_items

DUE_FOR_ESCALATION = text(
    "SELECT issue_id, alliance_id, organisation_id"
    " FROM public.portal_issues_due_for_escalation(:at)"
)


async def escalate_overdue_issues(sessions: Sessions, now: dt.datetime) -> int:
    """Escalate every open issue whose deadline passed before ``now`` one tier up (an
    ``AUTO_ESCALATED`` move); the number escalated.

    Safe with several server processes: each issue's row is locked and re-checked first
    (still open, still overdue, still held by the committee it was found under). An
    escalation restarts the deadline at ``now`` or later, so a second run for the same
    ``now``, here or in another process, finds nothing to do. Issues held by the steering
    committee are never listed: they stay overdue until resolved.
    """

    async def escalate(session: LockedSession, principal: Principal, issue_id: uuid.UUID) -> bool:
        return await _escalate_overdue(session, principal, issue_id, now)

    return await handle_due_items(
        sessions, DUE_FOR_ESCALATION, now, what="escalation of overdue issue", handle=escalate
    )


async def _escalate_overdue(
    session: LockedSession, principal: Principal, issue_id: uuid.UUID, now: dt.datetime
) -> bool:
    still_due = and_(Issue.id == issue_id, overdue_condition(now))
    found = await session.scalar(
        policy.visible_issues(principal)
        .where(still_due)
        .with_only_columns(Issue.holding_committee_id)
    )
    if found is None:
        return False
    # Locking re-evaluates the conditions on the newest version of the row: when another
    # process escalated it meanwhile, nothing is returned.
    issue = await session.scalar(
        policy.visible_issues(principal)
        .where(still_due, Issue.holding_committee_id == found)
        .with_for_update()
    )
    if issue is None:
        return False
    holding = await session.scalar(
        policy.alliance_records(principal, Committee).where(Committee.id == found)
    )
    if holding is None or holding.parent_id is None:
        return False  # the steering committee is the last tier
    days = max((now - issue.due_at).days, 0)
    note = f"overdue by {days} day{'s' if days != 1 else ''}: escalated automatically"
    await move_up(session, principal, issue, kind=IssueMoveKind.AUTO_ESCALATED, note=note, now=now)
    return True
