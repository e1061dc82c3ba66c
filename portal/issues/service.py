"""Issues and their escalation up the committee tree: the domain rules.

Any current member organisation raises an issue and names the committee that holds it (an
operational or tactical committee, or the steering committee directly). Each tier has a
response deadline (``GovernanceRules.<tier>_response_days``): the issue is due that many
days after it reaches its holding committee. The holding committee's chair escalates it to
the parent committee (the deadline restarts with the parent's tier) or resolves it with a
resolution text. An issue left open past its deadline is escalated automatically by a
scheduled job. The steering committee is the last tier: nothing goes above it, and its
overdue issues simply stay overdue. Every move is kept as an ``IssueMove``.

Functions take a session and a principal, check permissions through ``auth.policy`` and
``portal.governance``, change models and flush; the caller's transaction commits.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, not_

from auth import policy
from auth.principal import Principal
from db.enums import (
    CommitteeTier,
    IssueMoveKind,
    IssueSeverity,
    IssueStatus,
    Visibility,
)
from db.governance import GovernanceRules, Issue, IssueMove, VisibilityGrant
from db.session import LockedSession
from portal.committees.queries import (
    check_version,
    get_committee,
    get_rules,
    require_read,
    require_seat,
    require_write,
)
from portal.kernel.audience import current_member_ids
from portal.kernel.checks import checked_text
from portal.kernel.errors import BadInput
from portal.kernel.lookup import get_visible, require_member

log = logging.getLogger("portal.issues")

TITLE_MAX = 200
TEXT_MAX = 20_000
"""Longest description, note or resolution."""
_INSUFFICIENT_PRIVILEGE = "42501"

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


async def raise_issue(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    *,
    committee_id: uuid.UUID,
    title: str,
    description: str,
    severity: IssueSeverity,
    visibility: Visibility = Visibility.ALLIANCE,
    visibility_committee_id: uuid.UUID | None = None,
    organisation_slugs: Sequence[str] = (),
    now: dt.datetime,
) -> Issue:
    """Raise an issue, held by ``committee_id``, due after that committee's tier's response
    days.

    Any current member organisation may raise one (with governance:write). Visibility
    ALLIANCE shows it to every member; COMMITTEE to the seat holders of
    ``visibility_committee_id`` (by default the holding committee); ORGANISATIONS to the
    member organisations named by ``organisation_slugs``. Whatever the visibility, the
    raising organisation and the holding committee's seat holders always see it.
    """
    require_write(principal)
    await require_member(session, principal, alliance_id)
    committee = await get_committee(session, principal, committee_id, field="committee")
    if committee.alliance_id != alliance_id:
        raise BadInput("the committee belongs to another alliance", field="committee")
    title = checked_text(title, "title", required=True, limit=TITLE_MAX)
    description = checked_text(description, "description", required=False, limit=TEXT_MAX)

    if visibility is not Visibility.COMMITTEE and visibility_committee_id is not None:
        raise BadInput(
            "a visibility committee needs visibility COMMITTEE", field="visibilityCommittee"
        )
    if visibility is not Visibility.ORGANISATIONS and organisation_slugs:
        raise BadInput("organisations need visibility ORGANISATIONS", field="audience")
    if visibility_committee_id is not None and visibility_committee_id != committee.id:
        audience_committee = await get_committee(
            session, principal, visibility_committee_id, field="visibilityCommittee"
        )
        if audience_committee.alliance_id != alliance_id:
            raise BadInput("the committee belongs to another alliance", field="visibilityCommittee")
    granted: set[uuid.UUID] = set()
    if visibility is Visibility.ORGANISATIONS:
        listed = await current_member_ids(
            session, principal, alliance_id, organisation_slugs, at_least_one=True
        )
        granted = {*listed, principal.organisation_id}

    rules = await get_rules(session, principal, alliance_id)
    issue = Issue(
        id=uuid.uuid4(),
        alliance_id=alliance_id,
        raised_by_organisation_id=principal.organisation_id,
        title=title,
        description=description,
        severity=severity,
        visibility=visibility,
        visibility_committee_id=(
            (visibility_committee_id or committee.id)
            if visibility is Visibility.COMMITTEE
            else None
        ),
        holding_committee_id=committee.id,
        status=IssueStatus.OPEN,
        due_at=now + dt.timedelta(days=response_days(rules, committee.tier)),
        version=1,
        created_at=now,
    )
    session.add(issue)
    await session.flush()  # the issue exists before what refers to it
    session.add_all(
        VisibilityGrant(alliance_id=alliance_id, object_id=issue.id, organisation_id=org_id)
        for org_id in sorted(granted)
    )
    session.add(_move(principal, issue, IssueMoveKind.RAISED, None, committee.id, note="", now=now))
    await session.flush()
    return issue


def _move(
    principal: Principal,
    issue: Issue,
    kind: IssueMoveKind,
    from_committee_id: uuid.UUID | None,
    to_committee_id: uuid.UUID | None,
    *,
    note: str,
    now: dt.datetime,
) -> IssueMove:
    return IssueMove(
        id=uuid.uuid4(),
        alliance_id=issue.alliance_id,
        issue_id=issue.id,
        kind=kind,
        from_committee_id=from_committee_id,
        to_committee_id=to_committee_id,
        organisation_id=principal.organisation_id,
        user_id=principal.user_id,
        note=note,
        moved_at=now,
    )


def _require_open(issue: Issue, action: str) -> None:
    if issue.status is not IssueStatus.OPEN:
        raise BadInput(f"the issue is resolved and cannot be {action}", field="issue")


async def move_up(
    session: LockedSession,
    principal: Principal,
    issue: Issue,
    *,
    kind: IssueMoveKind,
    note: str,
    now: dt.datetime,
) -> Issue:
    """Hand ``issue`` to its holding committee's parent; the deadline restarts with the
    parent's tier."""
    holding = await get_committee(session, principal, issue.holding_committee_id, field="issue")
    if holding.parent_id is None:
        raise BadInput(
            "the steering committee is the last tier: the issue can only be resolved there",
            field="issue",
        )
    parent = await get_committee(session, principal, holding.parent_id, field="issue")
    rules = await get_rules(session, principal, issue.alliance_id)
    issue.holding_committee_id = parent.id
    issue.due_at = now + dt.timedelta(days=response_days(rules, parent.tier))
    issue.version += 1
    session.add(_move(principal, issue, kind, holding.id, parent.id, note=note, now=now))
    await session.flush()
    return issue


async def escalate_issue(
    session: LockedSession,
    principal: Principal,
    issue_id: uuid.UUID,
    *,
    expected_version: int,
    note: str = "",
    now: dt.datetime,
) -> Issue:
    """Escalate an open issue to the parent of its holding committee.

    Only the holding committee's chair may (with governance:write). The steering committee
    has no parent: its issues can only be resolved. ``expected_version`` must be current.
    """
    require_write(principal)
    issue = await get_issue(session, principal, issue_id, for_update=True)
    await require_seat(
        session, principal, issue.holding_committee_id, *policy.APPROVERS, action="escalate it"
    )
    _require_open(issue, "escalated")
    check_version(issue.version, expected_version, "issue")
    note = checked_text(note, "note", required=False, limit=TEXT_MAX)
    return await move_up(
        session, principal, issue, kind=IssueMoveKind.ESCALATED, note=note, now=now
    )


async def resolve_issue(
    session: LockedSession,
    principal: Principal,
    issue_id: uuid.UUID,
    *,
    expected_version: int,
    resolution: str,
    now: dt.datetime,
) -> Issue:
    """Resolve an open issue with a resolution text; resolved issues are final.

    Only the holding committee's chair may (with governance:write). ``expected_version``
    must be current.
    """
    require_write(principal)
    issue = await get_issue(session, principal, issue_id, for_update=True)
    await require_seat(
        session, principal, issue.holding_committee_id, *policy.APPROVERS, action="resolve it"
    )
    _require_open(issue, "resolved again")
    check_version(issue.version, expected_version, "issue")
    resolution = checked_text(resolution, "resolution", required=True, limit=TEXT_MAX)
    issue.status = IssueStatus.RESOLVED
    issue.resolution = resolution
    issue.resolved_at = now
    issue.version += 1
    session.add(
        _move(
            principal,
            issue,
            IssueMoveKind.RESOLVED,
            issue.holding_committee_id,
            None,
            note=resolution,
            now=now,
        )
    )
    await session.flush()
    return issue
