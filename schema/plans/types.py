"""Research plans: the types, the queries and the mutations (rules in ``portal.plans``).

Who may do what:
- read: organisations in a plan's audience (every member for ALLIANCE, the seat holders of
  the named committee for COMMITTEE, the listed members for ORGANISATIONS; the owner
  always), with plans:read; anything else is null / absent from lists;
- createPlan: any current member organisation, with plans:write (it owns the plan);
- revisePlan, proposePlan, activatePlan, completePlan, cancelPlan, addMilestone,
  updateMilestone: the owner organisation, with plans:write;
- setMilestoneStatus: the owner or the milestone's responsible organisation;
- approval: only through a committee decision about a plan version (``Decision.subject``
  = a ``PlanVersion`` ID), applied when the decision closes APPROVED.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Select, and_, false, or_, tuple_
from sqlalchemy.orm import aliased
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth import policy
from auth.scopes import Scope
from db import portfolio as db
from db.enums import MilestoneKind, MilestoneStatus, PlanStatus
from db.models import utcnow
from db.session import LockedSession
from portal.kernel.errors import NotFound
from portal.plans import service as domain
from schema.alliances.types import Alliance
from schema.context import Info
from schema.kernel.enums import Visibility
from schema.kernel.errors import INPUT_DESCRIPTION, UserError, guarded
from schema.kernel.ids import expect_global_id, to_global_id
from schema.kernel.nodes import AreaNode, load_list, load_required
from schema.kernel.pagination import (
    Connection,
    Edge,
    Ordering,
    PageInfo,
    PageRequest,
    decode_cursor,
    encode_cursor,
    paginate,
)
from schema.kernel.scopes import Needs
from schema.organisations.types import Organisation, load_audience, load_organisation

if TYPE_CHECKING:
    from schema.committees.types import Committee
    from schema.contributions.types import Contribution
    from schema.loaders import Loaders

strawberry.enum(
    PlanStatus,
    name="PlanStatus",
    description="Life cycle of a research plan: DRAFT (the owner writes and revises) → "
    "PROPOSED (put forward for approval) → APPROVED (by a committee decision on a version) "
    "→ ACTIVE → COMPLETED; CANCELLED from any state that is not final. A revision puts a "
    "DRAFT, PROPOSED or APPROVED plan back to DRAFT.",
)
strawberry.enum(
    MilestoneKind,
    name="MilestoneKind",
    description="MILESTONE (a point of progress) or DELIVERABLE (something handed over).",
)
strawberry.enum(
    MilestoneStatus,
    name="MilestoneStatus",
    description="PLANNED, IN_PROGRESS, DONE or CANCELLED.",
)


# --- loaders: every nested list costs one statement per level -------------------------------


VersionKey = tuple[uuid.UUID, int]


def _today() -> dt.date:
    return domain.today_of(utcnow())


# --- types ---------------------------------------------------------------------------------


@strawberry.type(
    description="One immutable state of a plan's content. A revision adds a version; none "
    "is ever changed or removed. A committee approves a plan by a decision whose subject is "
    "one of its versions (this type's ID)."
)
class PlanVersion(AreaNode):
    db_id: relay.NodeID[str]
    plan_id: strawberry.Private[uuid.UUID]
    alliance_id: strawberry.Private[uuid.UUID]
    organisation_id: strawberry.Private[uuid.UUID]
    number: int = strawberry.field(description="The version's number, from 1.")
    title: str = strawberry.field(description="The plan's title in this version.")
    summary: str = strawberry.field(description="The plan's summary in this version.")
    body: str = strawberry.field(description="The plan's full text in this version.")
    created_at: dt.datetime = strawberry.field(description="When this version was written.")

    @classmethod
    def from_model(cls, row: db.PlanVersion) -> PlanVersion:
        return cls(
            db_id=str(row.id),
            plan_id=row.plan_id,
            alliance_id=row.alliance_id,
            organisation_id=row.organisation_id,
            number=row.number,
            title=row.title,
            summary=row.summary,
            body=row.body,
            created_at=row.created_at,
        )

    @strawberry.field(description="The organisation that wrote this version (the owner).")
    async def author(self, info: Info) -> Organisation:
        return await load_organisation(info, self.organisation_id)

    @strawberry.field(description="The plan this is a version of.")
    async def plan(self, info: Info) -> Plan:
        return await load_required(info, info.context.loaders.plans.by_id, self.plan_id)

    read_scope = Scope.PLANS_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.plans.version_by_id


@strawberry.type(
    description="A milestone or deliverable of a plan: who is responsible and when it is "
    "due. Visible with its plan."
)
class Milestone(AreaNode):
    db_id: relay.NodeID[str]
    plan_id: strawberry.Private[uuid.UUID]
    alliance_id: strawberry.Private[uuid.UUID]
    responsible_organisation_id: strawberry.Private[uuid.UUID]
    kind: MilestoneKind = strawberry.field(description="MILESTONE or DELIVERABLE.")
    title: str = strawberry.field(description="What is to be reached or delivered.")
    due_on: dt.date = strawberry.field(description="The day it is due.")
    status: MilestoneStatus = strawberry.field(description="Planned, in progress, done, cancelled.")
    overdue: bool = strawberry.field(
        description="Neither done nor cancelled, and due before today (UTC)."
    )
    completed_at: dt.datetime | None = strawberry.field(
        description="When it was marked DONE; null unless it is done."
    )
    version: int = strawberry.field(
        description="Send it back with updateMilestone and setMilestoneStatus; a stale one "
        "gets CONFLICT."
    )
    created_at: dt.datetime = strawberry.field(description="When it was added.")

    @classmethod
    def from_model(cls, row: db.Milestone, *, today: dt.date | None = None) -> Milestone:
        """``today`` defaults to the current UTC day: it decides ``overdue``."""
        today = today or _today()
        return cls(
            db_id=str(row.id),
            plan_id=row.plan_id,
            alliance_id=row.alliance_id,
            responsible_organisation_id=row.responsible_organisation_id,
            kind=row.kind,
            title=row.title,
            due_on=row.due_on,
            status=row.status,
            overdue=domain.is_overdue(row.status, row.due_on, today=today),
            completed_at=row.completed_at,
            version=row.version,
            created_at=row.created_at,
        )

    @strawberry.field(description="The organisation responsible for reaching it.")
    async def responsible_organisation(self, info: Info) -> Organisation:
        return await load_organisation(info, self.responsible_organisation_id)

    @strawberry.field(description="The plan it belongs to.")
    async def plan(self, info: Info) -> Plan:
        return await load_required(info, info.context.loaders.plans.by_id, self.plan_id)

    read_scope = Scope.PLANS_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.plans.milestone_by_id


@strawberry.type(description="How one field differs between two versions.")
class FieldDiff:
    changed: bool = strawberry.field(description="Whether the field differs.")
    diff: str = strawberry.field(
        description="A unified diff (as `diff -u` writes it) from the older to the newer "
        "text; empty when unchanged."
    )

    @classmethod
    def from_domain(cls, value: domain.FieldDiff) -> FieldDiff:
        return cls(changed=value.changed, diff=value.text)


@strawberry.type(description="What changed between two versions of a plan.")
class PlanDiff:
    from_version: int = strawberry.field(description="The version compared from.")
    to_version: int = strawberry.field(description="The version compared to.")
    changed: bool = strawberry.field(description="Whether any field differs.")
    title: FieldDiff = strawberry.field(description="The title's difference.")
    summary: FieldDiff = strawberry.field(description="The summary's difference.")
    body: FieldDiff = strawberry.field(description="The body's difference.")

    @classmethod
    def from_domain(cls, value: domain.VersionDiff) -> PlanDiff:
        return cls(
            from_version=value.from_number,
            to_version=value.to_number,
            changed=value.changed,
            title=FieldDiff.from_domain(value.title),
            summary=FieldDiff.from_domain(value.summary),
            body=FieldDiff.from_domain(value.body),
        )


@strawberry.input(description="Narrow a plan's milestones; all given conditions apply.")
class PlanMilestoneFilter:
    overdue: bool | None = strawberry.field(
        default=None, description="True: only overdue ones; false: only those not overdue."
    )
    statuses: list[MilestoneStatus] | None = strawberry.field(
        default=None, description="Only milestones in these states."
    )


@strawberry.type(
    description="A research plan of an alliance. Its title, summary and body are those of "
    "its current version; every version stays readable. Visible to its audience "
    "(visibility) and always to its owner organisation; needs plans:read."
)
class Plan(AreaNode):
    db_id: relay.NodeID[str]
    alliance_id: strawberry.Private[uuid.UUID]
    owner_organisation_id: strawberry.Private[uuid.UUID]
    visibility_committee_id: strawberry.Private[uuid.UUID | None]
    approved_by_decision_id: strawberry.Private[uuid.UUID | None]
    status: PlanStatus = strawberry.field(description="Where the plan stands in its life cycle.")
    visibility: Visibility = strawberry.field(
        description="Who may see it: ALLIANCE (every member), COMMITTEE (the seat holders of "
        "committee) or ORGANISATIONS (audience). The owner always sees it."
    )
    version: int = strawberry.field(
        description="Number of the current version; send it back with every change to the "
        "plan (a stale one gets CONFLICT)."
    )
    approved_version: int | None = strawberry.field(
        description="The version a committee approved last; null if none was. It stays when "
        "the plan is revised afterwards, so it may be older than version."
    )
    created_at: dt.datetime = strawberry.field(description="When the plan was created.")
    updated_at: dt.datetime = strawberry.field(
        description="When the plan last changed (a revision, a status change, an approval)."
    )

    @classmethod
    def from_model(cls, row: db.Plan) -> Plan:
        return cls(
            db_id=str(row.id),
            alliance_id=row.alliance_id,
            owner_organisation_id=row.owner_organisation_id,
            visibility_committee_id=row.visibility_committee_id,
            approved_by_decision_id=row.approved_by_decision_id,
            status=row.status,
            visibility=row.visibility,
            version=row.version,
            approved_version=row.approved_version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @property
    def plan_id(self) -> uuid.UUID:
        return uuid.UUID(self.db_id)

    async def _current(self, info: Info) -> db.PlanVersion:
        row: db.PlanVersion | None = await info.context.loaders.plans.version_by_number.load(
            (self.plan_id, self.version)
        )
        if row is None:
            raise LookupError(f"plan {self.db_id} lacks its version {self.version}")
        return row

    @strawberry.field(description="The title (of the current version).")
    async def title(self, info: Info) -> str:
        return (await self._current(info)).title

    @strawberry.field(description="The summary (of the current version).")
    async def summary(self, info: Info) -> str:
        return (await self._current(info)).summary

    @strawberry.field(description="The full text (of the current version).")
    async def body(self, info: Info) -> str:
        return (await self._current(info)).body

    @strawberry.field(
        description="The current version: put its ID to a committee's vote to approve it."
    )
    async def current_version(self, info: Info) -> PlanVersion:
        return PlanVersion.from_model(await self._current(info))

    @strawberry.field(description="Every version, oldest first.")
    async def versions(self, info: Info) -> list[PlanVersion]:
        rows = await info.context.loaders.plans.versions_of_plan.load(self.plan_id)
        return [PlanVersion.from_model(row) for row in rows]

    @strawberry.field(
        description="What changed between two versions, field by field; null when either "
        "version does not exist. from may be newer than to (a reverse diff)."
    )
    async def diff(
        self,
        info: Info,
        from_: Annotated[
            int, strawberry.argument(name="from", description="The version to compare from.")
        ],
        to: Annotated[int, strawberry.argument(description="The version to compare to.")],
    ) -> PlanDiff | None:
        loader = info.context.loaders.plans.version_by_number
        old, new = await loader.load_many([(self.plan_id, from_), (self.plan_id, to)])
        if old is None or new is None:
            return None
        return PlanDiff.from_domain(
            domain.diff_versions(
                old.number,
                domain.Content(old.title, old.summary, old.body),
                new.number,
                domain.Content(new.title, new.summary, new.body),
            )
        )

    @strawberry.field(
        description="Contributions made to this plan that you may see, oldest first; "
        "empty without contributions:read.",
        extensions=[Needs(Scope.CONTRIBUTIONS_READ)],
    )
    async def contributions(
        self, info: Info
    ) -> list[Annotated[Contribution, strawberry.lazy("schema.contributions.types")]]:
        return await load_list(info, info.context.loaders.contributions.of_plan, self.plan_id)

    @strawberry.field(description="Milestones and deliverables, by due date.")
    async def milestones(
        self,
        info: Info,
        filter: Annotated[
            PlanMilestoneFilter | None, strawberry.argument(description="Which milestones.")
        ] = None,
    ) -> list[Milestone]:
        rows = await info.context.loaders.plans.milestones_of_plan.load(self.plan_id)
        today = _today()
        found = [Milestone.from_model(row, today=today) for row in rows]
        if filter is not None and filter.statuses:
            found = [m for m in found if m.status in filter.statuses]
        if filter is not None and filter.overdue is not None:
            found = [m for m in found if m.overdue is filter.overdue]
        return found

    @strawberry.field(description="The organisation that owns and edits the plan.")
    async def owner(self, info: Info) -> Organisation:
        return await load_organisation(info, self.owner_organisation_id)

    @strawberry.field(
        description="The alliance the plan belongs to.",
        extensions=[Needs(Scope.ALLIANCES_READ)],
    )
    async def alliance(self, info: Info) -> Alliance:
        row = await info.context.loaders.alliances.by_id.load(self.alliance_id)
        if row is None:
            raise LookupError("a visible plan's alliance is visible")
        return Alliance.from_model(row)

    @strawberry.field(
        description="With visibility COMMITTEE, the committee whose seat holders see the "
        "plan; null otherwise.",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )
    async def visibility_committee(
        self, info: Info
    ) -> Annotated[Committee, strawberry.lazy("schema.committees.types")] | None:
        if self.visibility_committee_id is None:
            return None
        return await load_required(
            info, info.context.loaders.committees.by_id, self.visibility_committee_id
        )

    @strawberry.field(
        description="With visibility ORGANISATIONS, the organisations that may see the plan "
        "(the owner among them); null with any other visibility."
    )
    async def audience(self, info: Info) -> list[Organisation] | None:
        return await load_audience(
            info, info.context.loaders.plans.audience, self.plan_id, self.visibility
        )

    @strawberry.field(
        description="The ID of the committee decision that approved approvedVersion; null "
        "if none did."
    )
    def approved_by_decision(self) -> strawberry.ID | None:
        if self.approved_by_decision_id is None:
            return None
        return strawberry.ID(str(to_global_id("Decision", self.approved_by_decision_id)))

    read_scope = Scope.PLANS_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.plans.by_id


# --- queries -------------------------------------------------------------------------------


@strawberry.enum(description="Orders of the plan list.")
class PlanOrder(enum.Enum):
    UPDATED_AT_DESC = "updated_at_desc"
    TITLE = "title"


@strawberry.input(description="Narrow the plan list; all given conditions apply.")
class PlanFilter:
    statuses: list[PlanStatus] | None = strawberry.field(
        default=None, description="Only plans in these states."
    )
    owner_organisation: strawberry.ID | None = strawberry.field(
        default=None, description="Only plans owned by this organisation (its ID)."
    )
    search: str | None = strawberry.field(
        default=None,
        description="Case-insensitive text in the current version's title or summary.",
    )


def _empty() -> Connection[Any]:
    return Connection(
        edges=[],
        page_info=PageInfo(
            has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None
        ),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def _page_by_title(
    session: LockedSession,
    query: Select[Any],
    title: Any,
    page: PageRequest,
) -> Connection[Plan]:
    """Keyset pagination on (current title, id): the title lives in the current version
    (``title``, a column of the joined version), so cursors are built here from both."""
    ordering = Ordering("plan_title", (title, db.Plan.id))
    size = page.size()
    keys = tuple_(title, db.Plan.id)
    clauses = []
    if page.after is not None:
        clauses.append(keys > tuple_(*decode_cursor(ordering, page.after, "after")))
    if page.before is not None:
        clauses.append(keys < tuple_(*decode_cursor(ordering, page.before, "before")))
    reverse = page.backwards
    order = [title.desc(), db.Plan.id.desc()] if reverse else [title.asc(), db.Plan.id.asc()]
    statement = query.add_columns(title).where(*clauses).order_by(*order).limit(size + 1)
    rows = list((await session.execute(statement)).all())
    more = len(rows) > size
    rows = rows[:size]
    if reverse:
        rows.reverse()
        has_next, has_previous = page.before is not None, more
    else:
        has_next, has_previous = more, page.after is not None
    edges = [
        Edge(
            node=Plan.from_model(plan),
            cursor=encode_cursor(ordering, SimpleNamespace(title=text, id=plan.id)),
        )
        for plan, text in rows
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


PLANS_BY_UPDATE = Ordering("plan_updated_desc", (db.Plan.updated_at, db.Plan.id), descending=True)


async def resolve_plans(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    filter: Annotated[PlanFilter | None, strawberry.argument(description="Which plans.")] = None,
    first: Annotated[int | None, strawberry.argument(description="Page size (max 100).")] = None,
    after: Annotated[str | None, strawberry.argument(description="Cursor to start after.")] = None,
    last: Annotated[int | None, strawberry.argument(description="Page size from the end.")] = None,
    before: Annotated[str | None, strawberry.argument(description="Cursor to end before.")] = None,
    order_by: Annotated[
        PlanOrder,
        strawberry.argument(
            description="UPDATED_AT_DESC (most recently changed first, then by ID) or TITLE "
            "(by the current version's title, then by ID)."
        ),
    ] = PlanOrder.UPDATED_AT_DESC,
) -> Connection[Plan]:
    """Plans of an alliance that the caller may see. Needs plans:read."""
    principal = info.context.principal
    chosen = filter or PlanFilter()
    page = PageRequest(first=first, after=after, last=last, before=before)
    try:
        page.size()
        alliance_id = expect_global_id(alliance, "Alliance", "alliance")
        current = aliased(
            db.PlanVersion, policy.visible_plan_versions(principal).subquery("current_version")
        )
        query = (
            policy.visible_plans(principal)
            .join(
                current,
                and_(current.plan_id == db.Plan.id, current.number == db.Plan.version),
            )
            .where(db.Plan.alliance_id == alliance_id)
        )
        if chosen.statuses:
            query = query.where(db.Plan.status.in_(chosen.statuses))
        if chosen.owner_organisation is not None:
            try:
                owner_id = expect_global_id(
                    chosen.owner_organisation, "Organisation", "ownerOrganisation"
                )
                query = query.where(db.Plan.owner_organisation_id == owner_id)
            except NotFound:
                query = query.where(false())
        if chosen.search:
            pattern = f"%{_escape_like(chosen.search)}%"
            query = query.where(or_(current.title.ilike(pattern), current.summary.ilike(pattern)))
        if order_by is PlanOrder.TITLE:
            return await _page_by_title(info.context.session, query, current.title, page)
        return await paginate(info.context.session, query, PLANS_BY_UPDATE, page, Plan.from_model)
    except NotFound:
        return _empty()  # an ID of another type names nothing: nothing matches


@strawberry.input(description="Narrow the milestone list; all given conditions apply.")
class MilestoneFilter:
    overdue: bool | None = strawberry.field(
        default=None,
        description="True: only overdue milestones (neither done nor cancelled, due before "
        "today in UTC); false: only those that are not.",
    )
    responsible_organisation: strawberry.ID | None = strawberry.field(
        default=None, description="Only milestones this organisation is responsible for."
    )
    plan: strawberry.ID | None = strawberry.field(
        default=None, description="Only milestones of this plan."
    )
    statuses: list[MilestoneStatus] | None = strawberry.field(
        default=None, description="Only milestones in these states."
    )


MILESTONES_BY_DUE = Ordering("milestone_due", (db.Milestone.due_on, db.Milestone.id))


async def resolve_milestones(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    filter: Annotated[
        MilestoneFilter | None, strawberry.argument(description="Which milestones.")
    ] = None,
    first: Annotated[int | None, strawberry.argument(description="Page size (max 100).")] = None,
    after: Annotated[str | None, strawberry.argument(description="Cursor to start after.")] = None,
    last: Annotated[int | None, strawberry.argument(description="Page size from the end.")] = None,
    before: Annotated[str | None, strawberry.argument(description="Cursor to end before.")] = None,
) -> Connection[Milestone]:
    """Milestones of the alliance's plans the caller may see, soonest due first. Needs
    plans:read."""
    principal = info.context.principal
    chosen = filter or MilestoneFilter()
    page = PageRequest(first=first, after=after, last=last, before=before)
    now = utcnow()
    today = domain.today_of(now)
    try:
        page.size()
        alliance_id = expect_global_id(alliance, "Alliance", "alliance")
        query = domain.milestones_query(
            principal,
            alliance_id=alliance_id,
            plan_id=(
                expect_global_id(chosen.plan, "Plan", "plan") if chosen.plan is not None else None
            ),
            responsible_organisation_id=(
                expect_global_id(
                    chosen.responsible_organisation, "Organisation", "responsibleOrganisation"
                )
                if chosen.responsible_organisation is not None
                else None
            ),
            statuses=chosen.statuses,
            overdue=chosen.overdue,
            now=now,
        )
        return await paginate(
            info.context.session,
            query,
            MILESTONES_BY_DUE,
            page,
            lambda row: Milestone.from_model(row, today=today),
        )
    except NotFound:
        return _empty()


@strawberry.type
class Queries:
    plans: Connection[Plan] = strawberry.field(
        resolver=resolve_plans,
        description="Research plans of an alliance you belong to that you may see, filtered "
        "and ordered (plans:read). An alliance you are not a member of has none for you.",
        extensions=[Needs(Scope.PLANS_READ)],
    )
    milestones: Connection[Milestone] = strawberry.field(
        resolver=resolve_milestones,
        description="Milestones and deliverables of the plans of an alliance you may see, "
        "soonest due first; filter overdue: true for the overdue ones (plans:read).",
        extensions=[Needs(Scope.PLANS_READ)],
    )


# --- mutations -----------------------------------------------------------------------------

OWNER_RULE = (
    "The plan's owner organisation only, with plans:write (FORBIDDEN for other "
    "organisations that can see the plan, NOT_FOUND for those that cannot)."
)
VERSION_FIELD = "The plan version you read; if it is no longer current you get CONFLICT."


@strawberry.input(
    description="Create a research plan in DRAFT with its version 1. Any current member "
    "organisation of the alliance, with plans:write; your organisation owns the plan. "
    "COMMITTEE visibility names a committee of the alliance; ORGANISATIONS lists current "
    "member organisations by slug (your organisation always sees its plan). Invalid input "
    "is BAD_USER_INPUT; an alliance you are not a member of is NOT_FOUND."
)
class CreatePlanInput:
    alliance: strawberry.ID = strawberry.field(description="The alliance's ID.")
    title: str = strawberry.field(description="The title (1-200 characters).")
    summary: str = strawberry.field(default="", description="A summary (at most 10,000).")
    body: str = strawberry.field(default="", description="The full text (at most 200,000).")
    visibility: Visibility = strawberry.field(
        default=Visibility.ALLIANCE,
        description="Who may see it: ALLIANCE (the default), COMMITTEE or ORGANISATIONS.",
    )
    visibility_committee: strawberry.ID | None = strawberry.field(
        default=None, description="With COMMITTEE visibility only: the committee's ID."
    )
    audience: list[str] | None = strawberry.field(
        default=None,
        description="With ORGANISATIONS visibility only: slugs of the current member "
        "organisations that may see the plan (may be empty: only your organisation).",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Any string up to 200 characters: a retry with the same key returns "
        "the plan created first; the same key with a different input gets CONFLICT.",
    )


@strawberry.input(
    description="Write a new version of a plan; omitted fields are carried over, every "
    "earlier version stays readable. "
    + OWNER_RULE
    + " Only while DRAFT, PROPOSED or APPROVED (BAD_USER_INPUT otherwise); the plan goes "
    "back to DRAFT and must be proposed again, approvedVersion keeps naming the last "
    "approved version. A revision that changes nothing is BAD_USER_INPUT."
)
class RevisePlanInput:
    plan: strawberry.ID = strawberry.field(description="The plan's ID.")
    version: int = strawberry.field(description=VERSION_FIELD)
    title: str | None = strawberry.field(default=None, description="The new title.")
    summary: str | None = strawberry.field(default=None, description="The new summary.")
    body: str | None = strawberry.field(default=None, description="The new full text.")


@strawberry.input(
    description="Put the current version forward for approval by a committee decision: "
    "DRAFT → PROPOSED. " + OWNER_RULE + " From DRAFT only (BAD_USER_INPUT otherwise)."
)
class ProposePlanInput:
    plan: strawberry.ID = strawberry.field(description="The plan's ID.")
    version: int = strawberry.field(description=VERSION_FIELD)


@strawberry.input(
    description="Start work on an approved plan: APPROVED → ACTIVE. "
    + OWNER_RULE
    + " From APPROVED only (BAD_USER_INPUT otherwise)."
)
class ActivatePlanInput:
    plan: strawberry.ID = strawberry.field(description="The plan's ID.")
    version: int = strawberry.field(description=VERSION_FIELD)


@strawberry.input(
    description="Close an active plan: ACTIVE → COMPLETED. "
    + OWNER_RULE
    + " From ACTIVE only, and only once every milestone is DONE or CANCELLED "
    "(BAD_USER_INPUT otherwise)."
)
class CompletePlanInput:
    plan: strawberry.ID = strawberry.field(description="The plan's ID.")
    version: int = strawberry.field(description=VERSION_FIELD)


@strawberry.input(
    description="Abandon a plan: any state but COMPLETED or CANCELLED → CANCELLED; its "
    "open milestones are cancelled with it. " + OWNER_RULE
)
class CancelPlanInput:
    plan: strawberry.ID = strawberry.field(description="The plan's ID.")
    version: int = strawberry.field(description=VERSION_FIELD)


@strawberry.type(description="Result of a change to a plan.")
class PlanPayload:
    plan: Plan | None = strawberry.field(description="The plan as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


MILESTONE_RESPONSIBLE = (
    "The responsible organisation must be a current member of the alliance that can see "
    "the plan (BAD_USER_INPUT otherwise)."
)


@strawberry.input(
    description="Add a milestone or deliverable to a plan that is not COMPLETED or "
    "CANCELLED. " + OWNER_RULE + " " + MILESTONE_RESPONSIBLE
)
class AddMilestoneInput:
    plan: strawberry.ID = strawberry.field(description="The plan's ID.")
    kind: MilestoneKind = strawberry.field(
        default=MilestoneKind.MILESTONE, description="MILESTONE (default) or DELIVERABLE."
    )
    title: str = strawberry.field(description="What is to be reached (1-200 characters).")
    responsible_organisation: strawberry.ID = strawberry.field(
        description="The responsible organisation's ID."
    )
    due_on: dt.date = strawberry.field(description="The day it is due.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Any string up to 200 characters: a retry with the same key returns "
        "the milestone added first; the same key with a different input gets CONFLICT.",
    )


@strawberry.input(
    description="Change a milestone's kind, title, responsible organisation or due date; "
    "omitted fields stay. The plan's owner organisation only, with plans:write (FORBIDDEN "
    "for other organisations that can see it, NOT_FOUND for those that cannot). Not once "
    "the plan is COMPLETED or CANCELLED. " + MILESTONE_RESPONSIBLE
)
class UpdateMilestoneInput:
    milestone: strawberry.ID = strawberry.field(description="The milestone's ID.")
    version: int = strawberry.field(
        description="The milestone version you read; if it changed you get CONFLICT."
    )
    kind: MilestoneKind | None = strawberry.field(default=None, description="The new kind.")
    title: str | None = strawberry.field(default=None, description="The new title.")
    responsible_organisation: strawberry.ID | None = strawberry.field(
        default=None, description="The new responsible organisation's ID."
    )
    due_on: dt.date | None = strawberry.field(default=None, description="The new due day.")


@strawberry.input(
    description="Move a milestone to another status (work may also be reopened). The "
    "plan's owner organisation or the milestone's responsible organisation, with "
    "plans:write (FORBIDDEN for others who can see it, NOT_FOUND for those who cannot). "
    "Not once the plan is COMPLETED or CANCELLED. DONE records completedAt."
)
class SetMilestoneStatusInput:
    milestone: strawberry.ID = strawberry.field(description="The milestone's ID.")
    version: int = strawberry.field(
        description="The milestone version you read; if it changed you get CONFLICT."
    )
    status: MilestoneStatus = strawberry.field(description="The new status.")


@strawberry.type(description="Result of a change to a milestone.")
class MilestonePayload:
    milestone: Milestone | None = strawberry.field(description="The milestone as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


async def _plan_payload(info: Info, action: Callable[[], Awaitable[db.Plan]]) -> PlanPayload:
    row, errors = await guarded(info.context.session, action)
    return PlanPayload(plan=Plan.from_model(row) if row else None, user_errors=errors)


async def _milestone_payload(
    info: Info, action: Callable[[], Awaitable[db.Milestone]]
) -> MilestonePayload:
    row, errors = await guarded(info.context.session, action)
    return MilestonePayload(
        milestone=Milestone.from_model(row, today=_today()) if row else None, user_errors=errors
    )


def _plan_id(value: strawberry.ID) -> uuid.UUID:
    return expect_global_id(value, "Plan", "plan")


def _milestone_id(value: strawberry.ID) -> uuid.UUID:
    return expect_global_id(value, "Milestone", "milestone")


def _organisation_id(value: strawberry.ID) -> uuid.UUID:
    return expect_global_id(value, "Organisation", "responsibleOrganisation")


Transition = Callable[..., Awaitable[db.Plan]]


async def _transition(
    info: Info, plan: strawberry.ID, version: int, change: Transition
) -> PlanPayload:
    ctx = info.context

    async def run() -> db.Plan:
        return await change(
            ctx.session, ctx.principal, _plan_id(plan), expected_version=version, now=utcnow()
        )

    return await _plan_payload(info, run)


@strawberry.type
class Mutations:
    @strawberry.mutation(
        description="Create a research plan (any member; you own it).",
        extensions=[Needs(Scope.PLANS_WRITE)],
    )
    async def create_plan(
        self,
        info: Info,
        input: Annotated[CreatePlanInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> PlanPayload:
        ctx = info.context

        async def create() -> db.Plan:
            alliance_id = expect_global_id(input.alliance, "Alliance", "alliance")
            committee_id = (
                expect_global_id(input.visibility_committee, "Committee", "visibilityCommittee")
                if input.visibility_committee is not None
                else None
            )
            return await domain.create_plan(
                ctx.session,
                ctx.principal,
                alliance_id,
                content=domain.Content(input.title, input.summary, input.body),
                audience=domain.Audience(
                    input.visibility, committee_id, tuple(input.audience or ())
                ),
                idempotency_key=input.idempotency_key,
                now=utcnow(),
            )

        return await _plan_payload(info, create)

    @strawberry.mutation(
        description="Write a new version of a plan (the owner).",
        extensions=[Needs(Scope.PLANS_WRITE)],
    )
    async def revise_plan(
        self,
        info: Info,
        input: Annotated[RevisePlanInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> PlanPayload:
        ctx = info.context

        async def revise() -> db.Plan:
            return await domain.revise_plan(
                ctx.session,
                ctx.principal,
                _plan_id(input.plan),
                expected_version=input.version,
                title=input.title,
                summary=input.summary,
                body=input.body,
                now=utcnow(),
            )

        return await _plan_payload(info, revise)

    @strawberry.mutation(
        description="Propose a draft plan for approval (the owner).",
        extensions=[Needs(Scope.PLANS_WRITE)],
    )
    async def propose_plan(
        self,
        info: Info,
        input: Annotated[ProposePlanInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> PlanPayload:
        return await _transition(info, input.plan, input.version, domain.propose_plan)

    @strawberry.mutation(
        description="Start work on an approved plan (the owner).",
        extensions=[Needs(Scope.PLANS_WRITE)],
    )
    async def activate_plan(
        self,
        info: Info,
        input: Annotated[ActivatePlanInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> PlanPayload:
        return await _transition(info, input.plan, input.version, domain.activate_plan)

    @strawberry.mutation(
        description="Complete an active plan (the owner).", extensions=[Needs(Scope.PLANS_WRITE)]
    )
    async def complete_plan(
        self,
        info: Info,
        input: Annotated[CompletePlanInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> PlanPayload:
        return await _transition(info, input.plan, input.version, domain.complete_plan)

    @strawberry.mutation(
        description="Cancel a plan that is not finished (the owner).",
        extensions=[Needs(Scope.PLANS_WRITE)],
    )
    async def cancel_plan(
        self,
        info: Info,
        input: Annotated[CancelPlanInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> PlanPayload:
        return await _transition(info, input.plan, input.version, domain.cancel_plan)

    @strawberry.mutation(
        description="Add a milestone or deliverable to a plan (the owner).",
        extensions=[Needs(Scope.PLANS_WRITE)],
    )
    async def add_milestone(
        self,
        info: Info,
        input: Annotated[AddMilestoneInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> MilestonePayload:
        ctx = info.context

        async def add() -> db.Milestone:
            return await domain.add_milestone(
                ctx.session,
                ctx.principal,
                _plan_id(input.plan),
                kind=input.kind,
                title=input.title,
                responsible_organisation_id=_organisation_id(input.responsible_organisation),
                due_on=input.due_on,
                idempotency_key=input.idempotency_key,
                now=utcnow(),
            )

        return await _milestone_payload(info, add)

    @strawberry.mutation(
        description="Change a milestone (the plan's owner).", extensions=[Needs(Scope.PLANS_WRITE)]
    )
    async def update_milestone(
        self,
        info: Info,
        input: Annotated[UpdateMilestoneInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> MilestonePayload:
        ctx = info.context

        async def update() -> db.Milestone:
            return await domain.update_milestone(
                ctx.session,
                ctx.principal,
                _milestone_id(input.milestone),
                expected_version=input.version,
                change=domain.MilestoneChange(
                    kind=input.kind,
                    title=input.title,
                    responsible_organisation_id=(
                        _organisation_id(input.responsible_organisation)
                        if input.responsible_organisation is not None
                        else None
                    ),
                    due_on=input.due_on,
                ),
            )

        return await _milestone_payload(info, update)

    @strawberry.mutation(
        description="Set a milestone's status (the plan's owner or the responsible organisation).",
        extensions=[Needs(Scope.PLANS_WRITE)],
    )
    async def set_milestone_status(
        self,
        info: Info,
        input: Annotated[
            SetMilestoneStatusInput, strawberry.argument(description=INPUT_DESCRIPTION)
        ],
    ) -> MilestonePayload:
        ctx = info.context

        async def set_status() -> db.Milestone:
            return await domain.set_milestone_status(
                ctx.session,
                ctx.principal,
                _milestone_id(input.milestone),
                expected_version=input.version,
                status=input.status,
                now=utcnow(),
            )

        return await _milestone_payload(info, set_status)


NODE_TYPES: dict[str, type[relay.Node]] = {
    "Plan": Plan,
    "PlanVersion": PlanVersion,
    "Milestone": Milestone,
}
