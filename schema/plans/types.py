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
  = a ``PlanVersion`` ID), applied when the decision closes APPROVED."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth.scopes import Scope
from db import portfolio as db
from db.models import utcnow
from portal import plans as domain
from schema.alliances.types import Alliance
from schema.context import Info
from schema.kernel import sql
from schema.kernel.enums import Visibility
from schema.kernel.ids import to_global_id
from schema.kernel.nodes import AreaNode, load_list, load_required
from schema.kernel.scopes import Needs
from schema.organisations.types import Organisation, load_audience, load_organisation
from schema.plans.enums import MilestoneKind, MilestoneStatus, PlanStatus

if TYPE_CHECKING:
    from schema.committees.types import Committee
    from schema.contributions.types import Contribution
    from schema.loaders import Loaders


VersionKey = tuple[uuid.UUID, int]


def _today() -> dt.date:
    return domain.today_of(utcnow())


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


def _current_version(column: str) -> Mapping[str, Any]:
    """A column of the plan's current version, as SQL (for the compiled read path)."""
    return sql.column(
        f"(SELECT v.{column} FROM public.plan_versions v"  # noqa: S608 - a constant column
        " WHERE v.plan_id = {t}.id AND v.number = {t}.version)"
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
    status: PlanStatus = strawberry.field(
        metadata=sql.column("{t}.status", enum=PlanStatus),
        description="Where the plan stands in its life cycle.",
    )
    visibility: Visibility = strawberry.field(
        metadata=sql.column("{t}.visibility", enum=Visibility),
        description="Who may see it: ALLIANCE (every member), COMMITTEE (the seat holders of "
        "committee) or ORGANISATIONS (audience). The owner always sees it.",
    )
    version: int = strawberry.field(
        metadata=sql.column("{t}.version", "int"),
        description="Number of the current version; send it back with every change to the "
        "plan (a stale one gets CONFLICT).",
    )
    approved_version: int | None = strawberry.field(
        metadata=sql.column("{t}.approved_version", "int"),
        description="The version a committee approved last; null if none was. It stays when "
        "the plan is revised afterwards, so it may be older than version.",
    )
    created_at: dt.datetime = strawberry.field(
        metadata=sql.column("{t}.created_at", "datetime"), description="When the plan was created."
    )
    updated_at: dt.datetime = strawberry.field(
        metadata=sql.column("{t}.updated_at", "datetime"),
        description="When the plan last changed (a revision, a status change, an approval).",
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

    @strawberry.field(
        metadata=_current_version("title"),
        description="The title (of the current version).",
    )
    async def title(self, info: Info) -> str:
        return (await self._current(info)).title

    @strawberry.field(
        metadata=_current_version("summary"),
        description="The summary (of the current version).",
    )
    async def summary(self, info: Info) -> str:
        return (await self._current(info)).summary

    @strawberry.field(
        metadata=_current_version("body"),
        description="The full text (of the current version).",
    )
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
        metadata=sql.to_many(
            "Contribution",
            "{c}.plan_id = {p}.id",
            "{c}.created_at, {c}.id",
            scope=Scope.CONTRIBUTIONS_READ,
        ),
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

    @strawberry.field(
        metadata=sql.to_one("Organisation", "{c}.id = {p}.owner_organisation_id"),
        description="The organisation that owns and edits the plan.",
    )
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

    sql_table = sql.Table("plans", sql.visible_to_audience(f"owner_organisation_id = {sql.ME}"))
    read_scope = Scope.PLANS_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.plans.by_id


NODE_TYPES: dict[str, type[relay.Node]] = {
    "Plan": Plan,
    "PlanVersion": PlanVersion,
    "Milestone": Milestone,
}
