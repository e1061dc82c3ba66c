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
``portal.committees.queries``, change models and flush; the caller's transaction commits.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence

from auth import policy
from auth.principal import Principal
from db.enums import (
    IssueMoveKind,
    IssueSeverity,
    IssueStatus,
    Visibility,
)
from db.governance import Issue, IssueMove, VisibilityGrant
from db.session import LockedSession
from portal.committees.queries import (
    get_committee,
    get_rules,
    require_seat,
    require_write,
)
from portal.issues.queries import (
    get_issue,
)
from portal.issues.rules import TEXT_MAX, TITLE_MAX, response_days
from portal.kernel.audience import current_member_ids
from portal.kernel.checks import check_version, checked_text
from portal.kernel.errors import BadInput
from portal.kernel.lookup import require_member

log = logging.getLogger("portal.issues")

_INSUFFICIENT_PRIVILEGE = "42501"


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
