"""Research plans: the domain rules (issue 4).

A plan's content (title, summary, body) lives in immutable ``PlanVersion`` rows; the plan
itself carries its status, its visibility, the number of its current version (``version``,
also the optimistic-concurrency token) and the last approval. The application role may
insert plan versions but never update or delete them: row-level security grants it
SELECT and INSERT only.

Who may do what:

- **read**: organisations in the plan's audience (SPEC §4): every current member for
  ``ALLIANCE``, seat holders of the named committee for ``COMMITTEE``, the listed member
  organisations for ``ORGANISATIONS``; the owner organisation always. Needs ``plans:read``.
- **create**: any current member organisation, with ``plans:write``; it becomes the owner.
- **revise, propose, activate, complete, cancel, add and update milestones**: the owner
  organisation only, with ``plans:write`` (FORBIDDEN for other organisations that can see
  the plan, NOT_FOUND for those that cannot).
- **set a milestone's status**: the owner organisation or the milestone's responsible
  organisation, with ``plans:write``.
- **approve**: nobody directly. A plan becomes APPROVED only when a committee decision
  whose subject is one of its versions closes APPROVED (:func:`approve_by_decision`), and
  only if that version is still the plan's current one.

The life cycle: DRAFT → PROPOSED → APPROVED → ACTIVE → COMPLETED, and CANCELLED from any
state that is not final. A revision creates version n+1 and is allowed while the plan is
DRAFT, PROPOSED or APPROVED; it always puts the plan back to DRAFT, because what was
proposed or approved is a specific version, not whatever the plan says later. The owner
proposes the new version again; ``approved_version`` keeps naming the last version a
committee approved (so readers can diff it against the current one) until a new approval
replaces it. ACTIVE plans are no longer revised (their milestones still change); finished
plans (COMPLETED, CANCELLED) and their milestones never change again. Cancelling a plan
cancels its open milestones; a plan completes only once none of its milestones is open.

State errors are ``BadInput``; ``Conflict`` is kept for a stale ``version`` (and for a
decision about a version that is no longer current).
"""

from __future__ import annotations

import datetime as dt
import difflib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, and_

from auth import policy
from auth.principal import Principal
from auth.scopes import Scope
from db.enums import (
    DecisionOutcome,
    DecisionStatus,
    MilestoneKind,
    MilestoneStatus,
    PlanStatus,
    Visibility,
)
from db.governance import Decision, Seat, VisibilityGrant
from db.models import Organisation
from db.portfolio import Milestone, Plan, PlanVersion
from db.session import LockedSession
from portal.committees import queries as governance
from portal.kernel.errors import BadInput, Conflict, Forbidden, NotFound
from portal.kernel.idempotency import create_once

TITLE_MAX = 200
SUMMARY_MAX = 10_000
BODY_MAX = 200_000
AUDIENCE_MAX = 100

SUBJECT_TYPE = "PlanVersion"
"""The ``subject_type`` of a decision about a plan version (its GraphQL type name)."""

FINAL = frozenset({PlanStatus.COMPLETED, PlanStatus.CANCELLED})
REVISABLE = frozenset({PlanStatus.DRAFT, PlanStatus.PROPOSED, PlanStatus.APPROVED})
OPEN_MILESTONE = frozenset({MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS})


@dataclass(frozen=True, slots=True)
class Audience:
    """Who may read a new plan: ``visibility``; for ``COMMITTEE`` the committee; for
    ``ORGANISATIONS`` the slugs of the member organisations listed (the owner always
    sees its plan, listed or not)."""

    visibility: Visibility = Visibility.ALLIANCE
    committee_id: uuid.UUID | None = None
    organisation_slugs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Content:
    """The text of a plan version."""

    title: str
    summary: str = ""
    body: str = ""


@dataclass(frozen=True, slots=True)
class MilestoneChange:
    """Milestone fields to set; ``None`` leaves a field as it is."""

    kind: MilestoneKind | None = None
    title: str | None = None
    responsible_organisation_id: uuid.UUID | None = None
    due_on: dt.date | None = None


# --- pure rules ----------------------------------------------------------------------------


def is_overdue(status: MilestoneStatus, due_on: dt.date, *, today: dt.date) -> bool:
    """A milestone is overdue when it is neither done nor cancelled and its due date lies
    before ``today`` (a milestone due today is not overdue yet)."""
    return status in OPEN_MILESTONE and due_on < today


def today_of(now: dt.datetime) -> dt.date:
    """The calendar day of ``now`` in UTC: due dates are compared with it."""
    return now.astimezone(dt.UTC).date() if now.tzinfo else now.date()


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """How one field differs between two versions: ``text`` is a unified diff, empty when
    the field did not change."""

    changed: bool
    text: str


@dataclass(frozen=True, slots=True)
class VersionDiff:
    """What changed from one version of a plan to another, field by field."""

    from_number: int
    to_number: int
    title: FieldDiff
    summary: FieldDiff
    body: FieldDiff

    @property
    def changed(self) -> bool:
        return self.title.changed or self.summary.changed or self.body.changed


def _lines(text: str) -> list[str]:
    """``text`` as lines that keep their ``\\n`` (only ``\\n`` separates lines)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def unified_diff(old: str, new: str, *, from_label: str, to_label: str) -> str:
    """A unified diff (three lines of context) from ``old`` to ``new``, as ``diff -u``
    writes it, including its "No newline at end of file" marker; empty when equal."""
    if old == new:
        return ""
    out = []
    for line in difflib.unified_diff(_lines(old), _lines(new), from_label, to_label):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def diff_versions(
    old_number: int, old: Content, new_number: int, new: Content, *, name: str = "plan"
) -> VersionDiff:
    """Compare two versions' title, summary and body (a pure function)."""

    def field(label: str, before: str, after: str) -> FieldDiff:
        text = unified_diff(
            before,
            after,
            from_label=f"{name}/{label} (version {old_number})",
            to_label=f"{name}/{label} (version {new_number})",
        )
        return FieldDiff(changed=before != after, text=text)

    return VersionDiff(
        from_number=old_number,
        to_number=new_number,
        title=field("title", old.title, new.title),
        summary=field("summary", old.summary, new.summary),
        body=field("body", old.body, new.body),
    )


def _content(content: Content) -> Content:
    title = content.title.strip()
    if not 0 < len(title) <= TITLE_MAX:
        raise BadInput(f"the title must have 1 to {TITLE_MAX} characters", field="title")
    if len(content.summary) > SUMMARY_MAX:
        raise BadInput(f"the summary is limited to {SUMMARY_MAX} characters", field="summary")
    if len(content.body) > BODY_MAX:
        raise BadInput(f"the body is limited to {BODY_MAX} characters", field="body")
    return Content(title, content.summary, content.body)


# --- reading -------------------------------------------------------------------------------


def require_read(principal: Principal) -> None:
    policy.require_scope(principal, Scope.PLANS_READ)


def require_write(principal: Principal) -> None:
    policy.require_scope(principal, Scope.PLANS_WRITE)


async def get_plan(
    session: LockedSession,
    principal: Principal,
    plan_id: uuid.UUID,
    *,
    field: str = "plan",
) -> Plan:
    """A plan the principal may read, or ``NotFound`` (also when it exists out of view)."""
    plan = await session.scalar(policy.visible_plans(principal).where(Plan.id == plan_id))
    if plan is None:
        raise NotFound("no such plan", field=field)
    return plan


async def current_version(session: LockedSession, principal: Principal, plan: Plan) -> PlanVersion:
    """The plan's current version (every plan has one from its creation)."""
    row = await session.scalar(
        policy.visible_plan_versions(principal).where(
            PlanVersion.plan_id == plan.id, PlanVersion.number == plan.version
        )
    )
    if row is None:
        raise LookupError(f"plan {plan.id} lacks its version {plan.version}")
    return row


async def get_version(
    session: LockedSession,
    principal: Principal,
    plan_version_id: uuid.UUID,
    *,
    field: str = "planVersion",
) -> PlanVersion:
    """A version of a plan the principal may read, or ``NotFound``."""
    row = await session.scalar(
        policy.visible_plan_versions(principal).where(PlanVersion.id == plan_version_id)
    )
    if row is None:
        raise NotFound("no such plan version", field=field)
    return row


async def compare(
    session: LockedSession,
    principal: Principal,
    plan_id: uuid.UUID,
    from_number: int,
    to_number: int,
) -> VersionDiff:
    """What changed between two versions of a visible plan (``NotFound`` when the plan or
    either version does not exist)."""
    require_read(principal)
    plan = await get_plan(session, principal, plan_id)
    rows = {
        row.number: row
        for row in await session.scalars(
            policy.visible_plan_versions(principal).where(
                PlanVersion.plan_id == plan.id, PlanVersion.number.in_({from_number, to_number})
            )
        )
    }
    for number, field in ((from_number, "from"), (to_number, "to")):
        if number not in rows:
            raise NotFound(f"the plan has no version {number}", field=field)
    old, new = rows[from_number], rows[to_number]
    return diff_versions(
        from_number,
        Content(old.title, old.summary, old.body),
        to_number,
        Content(new.title, new.summary, new.body),
    )


def milestones_query(
    principal: Principal,
    *,
    alliance_id: uuid.UUID | None = None,
    plan_id: uuid.UUID | None = None,
    responsible_organisation_id: uuid.UUID | None = None,
    statuses: Sequence[MilestoneStatus] | None = None,
    overdue: bool | None = None,
    now: dt.datetime,
) -> Select[Milestone]:
    """Milestones of plans the principal may read, narrowed by the given conditions;
    ``overdue`` true keeps only overdue ones (:func:`is_overdue` at ``now``), false only
    those that are not."""
    query = policy.visible_milestones(principal)
    if alliance_id is not None:
        query = query.where(Milestone.alliance_id == alliance_id)
    if plan_id is not None:
        query = query.where(Milestone.plan_id == plan_id)
    if responsible_organisation_id is not None:
        query = query.where(Milestone.responsible_organisation_id == responsible_organisation_id)
    if statuses:
        query = query.where(Milestone.status.in_(statuses))
    if overdue is not None:
        late = and_(Milestone.status.in_(OPEN_MILESTONE), Milestone.due_on < today_of(now))
        query = query.where(late if overdue else ~late)
    return query


# --- changing plans ------------------------------------------------------------------------


async def _lock(session: LockedSession, principal: Principal, plan: Plan) -> Plan:
    """Lock the plan's row for the rest of the transaction and read its current state."""
    locked = await session.scalar(
        policy.visible_plans(principal)
        .where(Plan.id == plan.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:  # removed from view between the two reads
        raise NotFound("no such plan", field="plan")
    return locked


async def _owned_plan(
    session: LockedSession, principal: Principal, plan_id: uuid.UUID, *, action: str
) -> Plan:
    """A visible plan of the principal's organisation, locked; NotFound / Forbidden."""
    require_write(principal)
    plan = await get_plan(session, principal, plan_id)
    if plan.owner_organisation_id != principal.organisation_id:
        raise Forbidden(f"only the plan's owner organisation may {action}")
    return await _lock(session, principal, plan)


async def _member_ids(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    slugs: Sequence[str],
    *,
    field: str,
) -> list[uuid.UUID]:
    """The organisations named by ``slugs``, each a current member of the alliance.

    Unknown slugs and organisations that are not current members are refused alike, so
    the answer reveals nothing about organisations outside the alliance."""
    wanted = sorted({slug.strip() for slug in slugs if slug.strip()})
    if len(wanted) > AUDIENCE_MAX:
        raise BadInput(f"at most {AUDIENCE_MAX} organisations", field=field)
    found = {
        organisation.slug: organisation.id
        for organisation in await session.scalars(
            policy.visible_organisations(principal).where(Organisation.slug.in_(wanted))
        )
    }
    members = []
    for slug in wanted:
        organisation_id = found.get(slug)
        current = (
            await session.scalar(policy.current_membership(principal, alliance_id, organisation_id))
            if organisation_id is not None
            else None
        )
        if organisation_id is None or current is None:
            raise BadInput(f"{slug!r} is not a current member of the alliance", field=field)
        members.append(organisation_id)
    return members


async def _audience(
    session: LockedSession, principal: Principal, alliance_id: uuid.UUID, audience: Audience
) -> tuple[uuid.UUID | None, list[uuid.UUID]]:
    """The committee and the listed organisations of a new plan's audience, checked."""
    if audience.visibility is not Visibility.COMMITTEE and audience.committee_id is not None:
        raise BadInput("only COMMITTEE visibility names a committee", field="visibilityCommittee")
    if audience.visibility is not Visibility.ORGANISATIONS and audience.organisation_slugs:
        raise BadInput("only ORGANISATIONS visibility lists organisations", field="audience")
    if audience.visibility is Visibility.COMMITTEE:
        if audience.committee_id is None:
            raise BadInput("COMMITTEE visibility names a committee", field="visibilityCommittee")
        committee = await governance.get_committee(
            session, principal, audience.committee_id, field="visibilityCommittee"
        )
        if committee.alliance_id != alliance_id:
            raise BadInput("the committee is one of another alliance", field="visibilityCommittee")
        return committee.id, []
    if audience.visibility is Visibility.ORGANISATIONS:
        listed = await _member_ids(
            session, principal, alliance_id, audience.organisation_slugs, field="audience"
        )
        return None, sorted({*listed, principal.organisation_id})
    return None, []


async def create_plan(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    *,
    content: Content,
    audience: Audience | None = None,
    idempotency_key: str | None = None,
    now: dt.datetime,
) -> Plan:
    """Create a plan in DRAFT with its version 1; the principal's organisation owns it.

    Any current member organisation, with ``plans:write``. ``COMMITTEE`` visibility names
    a committee of the alliance; ``ORGANISATIONS`` lists current member organisations by
    slug (``VisibilityGrant`` rows; the owner is always granted). With an
    ``idempotency_key``, a replay returns the plan created first, and the same key with a
    different input is a ``Conflict``."""
    require_write(principal)
    audience = audience or Audience()
    if await session.scalar(policy.own_membership(principal, alliance_id)) is None:
        raise NotFound("no such alliance", field="alliance")

    async def create() -> Plan:
        checked = _content(content)
        committee_id, granted = await _audience(session, principal, alliance_id, audience)
        plan = Plan(
            id=uuid.uuid4(),
            alliance_id=alliance_id,
            owner_organisation_id=principal.organisation_id,
            status=PlanStatus.DRAFT,
            visibility=audience.visibility,
            visibility_committee_id=committee_id,
            version=1,
            created_at=now,
            updated_at=now,
        )
        session.add(plan)
        await session.flush()
        session.add_all(
            VisibilityGrant(
                id=uuid.uuid4(),
                alliance_id=alliance_id,
                object_id=plan.id,
                organisation_id=organisation_id,
            )
            for organisation_id in granted
        )
        session.add(_version(principal, plan, 1, checked, now=now))
        await session.flush()
        return plan

    async def load(plan_id: uuid.UUID) -> Plan:
        return await get_plan(session, principal, plan_id)

    return await create_once(
        session,
        principal,
        operation="createPlan",
        key=idempotency_key,
        payload={
            "alliance": str(alliance_id),
            "title": content.title,
            "summary": content.summary,
            "body": content.body,
            "visibility": audience.visibility.value,
            "committee": str(audience.committee_id) if audience.committee_id else None,
            "audience": sorted(audience.organisation_slugs),
        },
        create=create,
        load=load,
    )


def _version(
    principal: Principal, plan: Plan, number: int, content: Content, *, now: dt.datetime
) -> PlanVersion:
    return PlanVersion(
        id=uuid.uuid4(),
        alliance_id=plan.alliance_id,
        plan_id=plan.id,
        number=number,
        title=content.title,
        summary=content.summary,
        body=content.body,
        organisation_id=principal.organisation_id,
        user_id=principal.user_id,
        created_at=now,
    )


async def revise_plan(
    session: LockedSession,
    principal: Principal,
    plan_id: uuid.UUID,
    *,
    expected_version: int,
    title: str | None = None,
    summary: str | None = None,
    body: str | None = None,
    now: dt.datetime,
) -> Plan:
    """Write version n+1 of a plan; omitted fields are carried over from version n.

    The owner organisation only, with ``plans:write``; ``expected_version`` must be the
    current version (``Conflict`` otherwise). Only while DRAFT, PROPOSED or APPROVED; the
    plan goes back to DRAFT (a proposal or approval was of the previous version), and
    ``approved_version`` stays as it is. A revision that changes nothing is refused."""
    plan = await _owned_plan(session, principal, plan_id, action="revise it")
    governance.check_version(plan.version, expected_version, "plan")
    if plan.status not in REVISABLE:
        raise BadInput(f"a {plan.status.value} plan is no longer revised", field="plan")
    current = await current_version(session, principal, plan)
    revised = _content(
        Content(
            title if title is not None else current.title,
            summary if summary is not None else current.summary,
            body if body is not None else current.body,
        )
    )
    if revised == Content(current.title, current.summary, current.body):
        raise BadInput("the revision changes nothing", field="plan")
    session.add(_version(principal, plan, plan.version + 1, revised, now=now))
    plan.version += 1
    plan.status = PlanStatus.DRAFT
    plan.updated_at = now
    await session.flush()
    return plan


async def _transition(
    session: LockedSession,
    principal: Principal,
    plan_id: uuid.UUID,
    *,
    expected_version: int,
    allowed_from: frozenset[PlanStatus],
    to: PlanStatus,
    action: str,
    now: dt.datetime,
    before: Callable[[Plan], Awaitable[None]] | None = None,
) -> Plan:
    """Move an owned plan from one of ``allowed_from`` to ``to``; ``before`` checks
    more, once the plan is locked and in the right state."""
    plan = await _owned_plan(session, principal, plan_id, action=action)
    governance.check_version(plan.version, expected_version, "plan")
    if plan.status not in allowed_from:
        names = " or ".join(sorted(status.value for status in allowed_from))
        raise BadInput(
            f"the plan is {plan.status.value}; only a {names} plan can be {to.value}",
            field="plan",
        )
    if before is not None:
        await before(plan)
    plan.status = to
    plan.updated_at = now
    await session.flush()
    return plan


async def propose_plan(
    session: LockedSession,
    principal: Principal,
    plan_id: uuid.UUID,
    *,
    expected_version: int,
    now: dt.datetime,
) -> Plan:
    """Put the current version forward for approval: DRAFT → PROPOSED. The owner only."""
    return await _transition(
        session,
        principal,
        plan_id,
        expected_version=expected_version,
        allowed_from=frozenset({PlanStatus.DRAFT}),
        to=PlanStatus.PROPOSED,
        action="propose it",
        now=now,
    )


async def activate_plan(
    session: LockedSession,
    principal: Principal,
    plan_id: uuid.UUID,
    *,
    expected_version: int,
    now: dt.datetime,
) -> Plan:
    """Start work on an approved plan: APPROVED → ACTIVE. The owner only."""
    return await _transition(
        session,
        principal,
        plan_id,
        expected_version=expected_version,
        allowed_from=frozenset({PlanStatus.APPROVED}),
        to=PlanStatus.ACTIVE,
        action="activate it",
        now=now,
    )


async def complete_plan(
    session: LockedSession,
    principal: Principal,
    plan_id: uuid.UUID,
    *,
    expected_version: int,
    now: dt.datetime,
) -> Plan:
    """Close an active plan: ACTIVE → COMPLETED, once none of its milestones is open
    (each is DONE or CANCELLED). The owner only."""

    async def no_open_milestones(plan: Plan) -> None:
        still_open = (
            await session.scalars(
                policy.visible_milestones(principal).where(
                    Milestone.plan_id == plan.id, Milestone.status.in_(OPEN_MILESTONE)
                )
            )
        ).all()
        if still_open:
            raise BadInput(
                f"{len(still_open)} milestone(s) are still open: mark them done or cancelled first",
                field="plan",
            )

    return await _transition(
        session,
        principal,
        plan_id,
        expected_version=expected_version,
        allowed_from=frozenset({PlanStatus.ACTIVE}),
        to=PlanStatus.COMPLETED,
        action="complete it",
        now=now,
        before=no_open_milestones,
    )


async def cancel_plan(
    session: LockedSession,
    principal: Principal,
    plan_id: uuid.UUID,
    *,
    expected_version: int,
    now: dt.datetime,
) -> Plan:
    """Abandon a plan that is not finished: any state but COMPLETED or CANCELLED →
    CANCELLED. Its open milestones are cancelled with it. The owner only."""
    plan = await _transition(
        session,
        principal,
        plan_id,
        expected_version=expected_version,
        allowed_from=frozenset(PlanStatus) - FINAL,
        to=PlanStatus.CANCELLED,
        action="cancel it",
        now=now,
    )
    for milestone in await session.scalars(
        policy.visible_milestones(principal)
        .where(Milestone.plan_id == plan.id, Milestone.status.in_(OPEN_MILESTONE))
        .with_for_update()
    ):
        milestone.status = MilestoneStatus.CANCELLED
        milestone.version += 1
    await session.flush()
    return plan


# --- approval through a committee decision ------------------------------------------------


async def check_plan_version_decidable(
    session: LockedSession, principal: Principal, plan_version_id: uuid.UUID
) -> None:
    """May a decision be put to a committee about approving this plan version?

    Called when a decision naming the version as its subject is recorded. The version must
    be visible to the principal (``NotFound``, field ``subject``), with ``plans:read``;
    its plan must be PROPOSED (``BadInput``) and the version must be the plan's current
    one (``Conflict``): a committee votes on what the owner put forward."""
    require_read(principal)
    version = await get_version(session, principal, plan_version_id, field="subject")
    plan = await get_plan(session, principal, version.plan_id, field="subject")
    if plan.status is not PlanStatus.PROPOSED:
        raise BadInput(
            f"the plan is {plan.status.value}; only a proposed plan is put to the vote",
            field="subject",
        )
    if plan.version != version.number:
        raise Conflict(
            f"version {version.number} is not the plan's current version "
            f"({plan.version}); put the current version to the vote",
            field="subject",
        )


async def approve_by_decision(
    session: LockedSession, principal: Principal, decision: Decision
) -> None:
    """Approve the plan version a decision names, as the decision's outcome.

    Called when a decision whose ``subject_type`` is ``"PlanVersion"`` closes APPROVED; the
    decisions code has already checked that the principal may close it (the committee's
    chair, with ``governance:write``), so no plans scope is required here. The version
    must be visible to the principal and belong to the decision's alliance. If the plan
    was revised after the version was put to the vote, approving it is refused
    (``Conflict``): a stale version is never approved. The plan must still be PROPOSED.
    Sets the status APPROVED, ``approved_version`` and ``approved_by_decision_id``; the
    moment is the decision's ``closed_at``."""
    if decision.subject_type != SUBJECT_TYPE or decision.subject_id is None:
        raise BadInput("the decision is not about a plan version", field="decision")
    if decision.status is not DecisionStatus.CLOSED or decision.outcome is not (
        DecisionOutcome.APPROVED
    ):
        raise BadInput("only a decision closed as APPROVED approves a plan", field="decision")
    version = await get_version(session, principal, decision.subject_id, field="decision")
    if version.alliance_id != decision.alliance_id:
        raise BadInput("the plan belongs to another alliance", field="decision")
    plan = await _lock(
        session, principal, await get_plan(session, principal, version.plan_id, field="decision")
    )
    if plan.version != version.number:
        raise Conflict(
            "the plan was revised after this version was put to the vote "
            f"(version {version.number} voted, version {plan.version} current)",
            field="decision",
        )
    if plan.status is not PlanStatus.PROPOSED:
        raise Conflict(
            f"the plan is {plan.status.value}; only a proposed plan is approved",
            field="decision",
        )
    plan.status = PlanStatus.APPROVED
    plan.approved_version = version.number
    plan.approved_by_decision_id = decision.id
    if decision.closed_at is not None:
        plan.updated_at = decision.closed_at
    await session.flush()


# --- milestones ----------------------------------------------------------------------------


async def get_milestone(
    session: LockedSession,
    principal: Principal,
    milestone_id: uuid.UUID,
    *,
    field: str = "milestone",
) -> Milestone:
    """A milestone of a plan the principal may read, or ``NotFound``."""
    row = await session.scalar(
        policy.visible_milestones(principal).where(Milestone.id == milestone_id)
    )
    if row is None:
        raise NotFound("no such milestone", field=field)
    return row


async def _check_responsible(
    session: LockedSession, principal: Principal, plan: Plan, organisation_id: uuid.UUID
) -> None:
    """The responsible organisation must be a current member that can see the plan."""
    field = "responsibleOrganisation"
    if organisation_id == plan.owner_organisation_id:
        return
    member = await session.scalar(
        policy.current_membership(principal, plan.alliance_id, organisation_id)
    )
    if member is None:
        raise BadInput("the organisation is not a current member of the alliance", field=field)
    if plan.visibility is Visibility.COMMITTEE:
        seat = await session.scalar(
            policy.alliance_records(principal, Seat).where(
                Seat.committee_id == plan.visibility_committee_id,
                Seat.organisation_id == organisation_id,
            )
        )
        if seat is None:
            raise BadInput(
                "the organisation holds no seat on the plan's committee, so it cannot see the plan",
                field=field,
            )
    elif plan.visibility is Visibility.ORGANISATIONS:
        grant = await session.scalar(
            policy.alliance_records(principal, VisibilityGrant).where(
                VisibilityGrant.object_id == plan.id,
                VisibilityGrant.organisation_id == organisation_id,
            )
        )
        if grant is None:
            raise BadInput(
                "the organisation is not in the plan's audience, so it cannot see the plan",
                field=field,
            )


def _check_milestone_title(title: str) -> str:
    title = title.strip()
    if not 0 < len(title) <= TITLE_MAX:
        raise BadInput(f"the title must have 1 to {TITLE_MAX} characters", field="title")
    return title


def _check_open_plan(plan: Plan) -> None:
    if plan.status in FINAL:
        raise BadInput(
            f"the plan is {plan.status.value}; its milestones no longer change", field="plan"
        )


async def add_milestone(
    session: LockedSession,
    principal: Principal,
    plan_id: uuid.UUID,
    *,
    kind: MilestoneKind,
    title: str,
    responsible_organisation_id: uuid.UUID,
    due_on: dt.date,
    idempotency_key: str | None = None,
    now: dt.datetime,
) -> Milestone:
    """Add a milestone or deliverable to a plan that is not finished. The owner
    organisation only, with ``plans:write``; the responsible organisation must be a current
    member of the alliance that can see the plan. With an ``idempotency_key``, a replay
    returns the milestone added first (same key, different input: ``Conflict``)."""
    plan = await _owned_plan(session, principal, plan_id, action="plan its milestones")

    async def create() -> Milestone:
        _check_open_plan(plan)
        checked_title = _check_milestone_title(title)
        await _check_responsible(session, principal, plan, responsible_organisation_id)
        milestone = Milestone(
            id=uuid.uuid4(),
            alliance_id=plan.alliance_id,
            plan_id=plan.id,
            kind=kind,
            title=checked_title,
            responsible_organisation_id=responsible_organisation_id,
            due_on=due_on,
            status=MilestoneStatus.PLANNED,
            version=1,
            created_at=now,
        )
        session.add(milestone)
        await session.flush()
        return milestone

    async def load(milestone_id: uuid.UUID) -> Milestone:
        return await get_milestone(session, principal, milestone_id)

    return await create_once(
        session,
        principal,
        operation="addMilestone",
        key=idempotency_key,
        payload={
            "plan": str(plan.id),
            "kind": kind.value,
            "title": title,
            "responsible": str(responsible_organisation_id),
            "due_on": due_on.isoformat(),
        },
        create=create,
        load=load,
    )


async def _milestone_and_plan(
    session: LockedSession, principal: Principal, milestone_id: uuid.UUID
) -> tuple[Milestone, Plan]:
    milestone = await get_milestone(session, principal, milestone_id)
    plan = await get_plan(session, principal, milestone.plan_id, field="milestone")
    return milestone, plan


async def _lock_milestone(
    session: LockedSession, principal: Principal, milestone: Milestone
) -> Milestone:
    locked = await session.scalar(
        policy.visible_milestones(principal)
        .where(Milestone.id == milestone.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:
        raise NotFound("no such milestone", field="milestone")
    return locked


async def update_milestone(
    session: LockedSession,
    principal: Principal,
    milestone_id: uuid.UUID,
    *,
    expected_version: int,
    change: MilestoneChange,
) -> Milestone:
    """Change a milestone's kind, title, responsible organisation or due date. The plan's
    owner organisation only, with ``plans:write``; ``expected_version`` must be the
    milestone's current version. Not once the plan is finished."""
    require_write(principal)
    milestone, plan = await _milestone_and_plan(session, principal, milestone_id)
    if plan.owner_organisation_id != principal.organisation_id:
        raise Forbidden("only the plan's owner organisation may change its milestones")
    milestone = await _lock_milestone(session, principal, milestone)
    governance.check_version(milestone.version, expected_version, "milestone")
    _check_open_plan(plan)
    title = _check_milestone_title(change.title) if change.title is not None else None
    if change.responsible_organisation_id is not None:
        await _check_responsible(session, principal, plan, change.responsible_organisation_id)
    updates = {
        "kind": change.kind,
        "title": title,
        "responsible_organisation_id": change.responsible_organisation_id,
        "due_on": change.due_on,
    }
    changed = False
    for name, value in updates.items():
        if value is not None and getattr(milestone, name) != value:
            setattr(milestone, name, value)
            changed = True
    if not changed:
        raise BadInput("the update changes nothing", field="milestone")
    milestone.version += 1
    await session.flush()
    return milestone


async def set_milestone_status(
    session: LockedSession,
    principal: Principal,
    milestone_id: uuid.UUID,
    *,
    expected_version: int,
    status: MilestoneStatus,
    now: dt.datetime,
) -> Milestone:
    """Move a milestone to ``status`` (any other status: work may also be reopened). The
    plan's owner organisation or the milestone's responsible organisation, with
    ``plans:write``; ``expected_version`` must be current. Not once the plan is finished.
    DONE records ``completed_at`` = ``now``; any other status clears it."""
    require_write(principal)
    milestone, plan = await _milestone_and_plan(session, principal, milestone_id)
    if principal.organisation_id not in (
        plan.owner_organisation_id,
        milestone.responsible_organisation_id,
    ):
        raise Forbidden(
            "only the plan's owner or the responsible organisation may set a milestone's status"
        )
    milestone = await _lock_milestone(session, principal, milestone)
    governance.check_version(milestone.version, expected_version, "milestone")
    _check_open_plan(plan)
    if milestone.status is status:
        raise BadInput(f"the milestone is already {status.value}", field="status")
    milestone.status = status
    milestone.completed_at = now if status is MilestoneStatus.DONE else None
    milestone.version += 1
    await session.flush()
    return milestone


__all__ = [
    "SUBJECT_TYPE",
    "Audience",
    "Content",
    "FieldDiff",
    "MilestoneChange",
    "VersionDiff",
    "activate_plan",
    "add_milestone",
    "approve_by_decision",
    "cancel_plan",
    "check_plan_version_decidable",
    "compare",
    "complete_plan",
    "create_plan",
    "current_version",
    "diff_versions",
    "get_milestone",
    "get_plan",
    "get_version",
    "is_overdue",
    "milestones_query",
    "propose_plan",
    "revise_plan",
    "set_milestone_status",
    "today_of",
    "unified_diff",
    "update_milestone",
]
