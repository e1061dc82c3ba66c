"""Issues and their escalation: the Issue and IssueMove types, the issues list, and the
raiseIssue / escalateIssue / resolveIssue mutations. The rules live in ``portal.issues``."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth.scopes import Scope
from db import governance
from db.enums import IssueMoveKind, IssueSeverity, IssueStatus
from db.models import utcnow
from portal.issues import service as issues
from portal.kernel.errors import NotFound
from schema.context import Info
from schema.kernel.enums import Visibility
from schema.kernel.errors import INPUT_DESCRIPTION, UserError, guarded
from schema.kernel.ids import expect_global_id
from schema.kernel.nodes import AreaNode, load_required
from schema.kernel.pagination import Connection, Ordering, PageInfo, PageRequest, paginate
from schema.kernel.scopes import Needs
from schema.organisations.types import Organisation, load_audience, load_organisation

if TYPE_CHECKING:
    from schema.committees.types import Committee
    from schema.loaders import Loaders

strawberry.enum(
    IssueSeverity, name="IssueSeverity", description="How serious an issue is for the alliance."
)
strawberry.enum(
    IssueStatus,
    name="IssueStatus",
    description="Open until the holding committee's chair resolves it; resolved is final.",
)
strawberry.enum(
    IssueMoveKind,
    name="IssueMoveKind",
    description="One step of an issue's history: raised, escalated by the holding "
    "committee's chair, escalated automatically when overdue, resolved.",
)

CommitteeRef = Annotated["Committee", strawberry.lazy("schema.committees.types")]


async def _committee(info: Info, committee_id: uuid.UUID) -> Committee:
    return await load_required(info, info.context.loaders.committees.by_id, committee_id)


@strawberry.type(
    description="One step of an issue's history (append-only): who moved it, from which "
    "committee to which, when and why. Visible with its issue."
)
class IssueMove(AreaNode):
    db_id: relay.NodeID[str]
    from_committee_id: strawberry.Private[uuid.UUID | None]
    to_committee_id: strawberry.Private[uuid.UUID | None]
    organisation_id: strawberry.Private[uuid.UUID]
    kind: IssueMoveKind = strawberry.field(
        description="RAISED, ESCALATED (by the chair), AUTO_ESCALATED (overdue) or RESOLVED."
    )
    note: str = strawberry.field(
        description="The chair's note on an escalation, the reason of an automatic one, or "
        "the resolution text; empty when raised."
    )
    moved_at: dt.datetime = strawberry.field(description="When the move happened.")

    @classmethod
    def from_model(cls, row: governance.IssueMove) -> IssueMove:
        return cls(
            db_id=str(row.id),
            from_committee_id=row.from_committee_id,
            to_committee_id=row.to_committee_id,
            organisation_id=row.organisation_id,
            kind=row.kind,
            note=row.note,
            moved_at=row.moved_at,
        )

    @strawberry.field(description="The committee that held the issue; null when it was raised.")
    async def from_committee(self, info: Info) -> CommitteeRef | None:
        if self.from_committee_id is None:
            return None
        return await _committee(info, self.from_committee_id)

    @strawberry.field(
        description="The committee that holds the issue after the move; null when resolved."
    )
    async def to_committee(self, info: Info) -> CommitteeRef | None:
        if self.to_committee_id is None:
            return None
        return await _committee(info, self.to_committee_id)

    @strawberry.field(
        description="The organisation that made the move: the raising organisation, the "
        "chair's organisation, or, for AUTO_ESCALATED, the organisation of the holding "
        "committee the server acted for."
    )
    async def organisation(self, info: Info) -> Organisation:
        return await load_organisation(info, self.organisation_id)

    read_scope = Scope.GOVERNANCE_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.issues.move_by_id


@strawberry.type(
    description="A problem raised in an alliance, held by a committee and escalated up "
    "the committee tree (operational → tactical → strategic) until resolved. Visible to "
    "its audience (see visibility), to the organisation that raised it, and to the "
    "organisations seated on its holding committee; to anyone else it does not exist. "
    "Needs governance:read."
)
class Issue(AreaNode):
    db_id: relay.NodeID[str]
    raised_by_organisation_id: strawberry.Private[uuid.UUID]
    holding_committee_id: strawberry.Private[uuid.UUID]
    visibility_committee_id: strawberry.Private[uuid.UUID | None]
    title: str = strawberry.field(description="What the problem is, in a line.")
    description: str = strawberry.field(description="The problem in detail.")
    severity: IssueSeverity = strawberry.field(description="LOW, MEDIUM, HIGH or CRITICAL.")
    visibility: Visibility = strawberry.field(
        description="ALLIANCE (every member), COMMITTEE (seat holders of "
        "visibilityCommittee) or ORGANISATIONS (the audience). The raising organisation "
        "and the holding committee's seat holders see the issue whatever it says."
    )
    status: IssueStatus = strawberry.field(description="OPEN or RESOLVED.")
    due_at: dt.datetime = strawberry.field(
        description="Deadline of the holding committee: set when the issue reaches it, to "
        "that committee's tier's response days (the alliance's governance rules). An open "
        "issue past it is escalated automatically, except at the steering committee."
    )
    resolution: str | None = strawberry.field(
        description="How the issue was resolved; null while open."
    )
    resolved_at: dt.datetime | None = strawberry.field(
        description="When it was resolved; null while open."
    )
    version: int = strawberry.field(
        description="Changes with every move; send it back with escalateIssue or resolveIssue."
    )
    created_at: dt.datetime = strawberry.field(description="When it was raised.")

    @classmethod
    def from_model(cls, row: governance.Issue) -> Issue:
        return cls(
            db_id=str(row.id),
            raised_by_organisation_id=row.raised_by_organisation_id,
            holding_committee_id=row.holding_committee_id,
            visibility_committee_id=row.visibility_committee_id,
            title=row.title,
            description=row.description,
            severity=row.severity,
            visibility=row.visibility,
            status=row.status,
            due_at=row.due_at,
            resolution=row.resolution,
            resolved_at=row.resolved_at,
            version=row.version,
            created_at=row.created_at,
        )

    @strawberry.field(description="Open and past its deadline (dueAt earlier than now).")
    def overdue(self) -> bool:
        return issues.is_overdue(self.status, self.due_at, utcnow())

    @strawberry.field(description="The member organisation that raised the issue.")
    async def raised_by(self, info: Info) -> Organisation:
        return await load_organisation(info, self.raised_by_organisation_id)

    @strawberry.field(
        description="The committee holding the issue now; its chair escalates or resolves it."
    )
    async def holding_committee(self, info: Info) -> CommitteeRef:
        return await _committee(info, self.holding_committee_id)

    @strawberry.field(description="With visibility COMMITTEE: whose seat holders see it.")
    async def visibility_committee(self, info: Info) -> CommitteeRef | None:
        if self.visibility_committee_id is None:
            return None
        return await _committee(info, self.visibility_committee_id)

    @strawberry.field(
        description="With visibility ORGANISATIONS: the member organisations it is shared "
        "with (the raising organisation always among them); null with any other visibility."
    )
    async def audience(self, info: Info) -> list[Organisation] | None:
        return await load_audience(
            info, info.context.loaders.issues.audience, uuid.UUID(self.db_id), self.visibility
        )

    @strawberry.field(description="The issue's history, oldest first: every move it made.")
    async def moves(self, info: Info) -> list[IssueMove]:
        rows = await info.context.loaders.issues.moves_of_issue.load(uuid.UUID(self.db_id))
        return [IssueMove.from_model(row) for row in rows]

    read_scope = Scope.GOVERNANCE_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.issues.by_id


@strawberry.enum(description="Orders of the issue list.")
class IssueOrder(enum.Enum):
    DUE_AT = strawberry.enum_value("due_at", description="Soonest deadline first.")
    CREATED_AT_DESC = strawberry.enum_value("created_at_desc", description="Newest first.")


ISSUE_ORDERINGS = {
    IssueOrder.DUE_AT: Ordering("due", (governance.Issue.due_at, governance.Issue.id)),
    IssueOrder.CREATED_AT_DESC: Ordering(
        "created_desc", (governance.Issue.created_at, governance.Issue.id), descending=True
    ),
}


@strawberry.input(description="Narrow an alliance's issue list; omitted fields do not narrow.")
class IssueFilter:
    committee: strawberry.ID | None = strawberry.field(
        default=None, description="Only issues held by this committee now."
    )
    statuses: list[IssueStatus] | None = strawberry.field(
        default=None, description="Only issues in these states."
    )
    severities: list[IssueSeverity] | None = strawberry.field(
        default=None, description="Only issues of these severities."
    )
    overdue: bool | None = strawberry.field(
        default=None,
        description="true: only open issues past their deadline; false: only the others.",
    )


def _empty() -> Connection[Issue]:
    return Connection(
        edges=[],
        page_info=PageInfo(
            has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None
        ),
    )


async def resolve_issues(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    filter: Annotated[IssueFilter | None, strawberry.argument(description="Which issues.")] = None,
    first: Annotated[int | None, strawberry.argument(description="Page size (max 100).")] = None,
    after: Annotated[str | None, strawberry.argument(description="Cursor to start after.")] = None,
    last: Annotated[int | None, strawberry.argument(description="Page size from the end.")] = None,
    before: Annotated[str | None, strawberry.argument(description="Cursor to end before.")] = None,
    order_by: Annotated[
        IssueOrder,
        strawberry.argument(description="Sort order: soonest deadline first, or newest first."),
    ] = IssueOrder.DUE_AT,
) -> Connection[Issue]:
    """The alliance's issues you may see. Needs governance:read; an alliance you are not a
    member of has none."""
    principal = info.context.principal
    chosen = filter or IssueFilter()
    try:
        alliance_id = expect_global_id(alliance, "Alliance", "alliance")
        committee_id = (
            expect_global_id(chosen.committee, "Committee", "committee")
            if chosen.committee is not None
            else None
        )
    except NotFound:
        return _empty()  # an ID of another type names nothing
    query = issues.alliance_issues(
        principal,
        alliance_id,
        issues.IssueFilter(
            committee_id=committee_id,
            statuses=chosen.statuses,
            severities=chosen.severities,
            overdue=chosen.overdue,
        ),
        now=utcnow(),
    )
    page = PageRequest(first=first, after=after, last=last, before=before)
    return await paginate(
        info.context.session, query, ISSUE_ORDERINGS[order_by], page, Issue.from_model
    )


@strawberry.input(
    description="Raise an issue in an alliance. Any current member organisation may, with "
    "governance:write. The issue is held by the committee you name (an operational or "
    "tactical committee, or the steering committee directly) and is due after that "
    "committee's tier's response days; a RAISED move starts its history."
)
class RaiseIssueInput:
    alliance: strawberry.ID = strawberry.field(description="The alliance's ID.")
    committee: strawberry.ID = strawberry.field(
        description="The committee to hold the issue; it must belong to the alliance."
    )
    title: str = strawberry.field(description="What the problem is (1-200 characters).")
    description: str = strawberry.field(
        default="", description="The problem in detail (up to 20,000 characters)."
    )
    severity: IssueSeverity = strawberry.field(description="LOW, MEDIUM, HIGH or CRITICAL.")
    visibility: Visibility = strawberry.field(
        default=Visibility.ALLIANCE,
        description="Who sees it: ALLIANCE (default, every member), COMMITTEE (seat holders "
        "of visibilityCommittee) or ORGANISATIONS (those listed in audience). Your "
        "organisation and the holding committee's seat holders always see it.",
    )
    visibility_committee: strawberry.ID | None = strawberry.field(
        default=None,
        description="With visibility COMMITTEE: a committee of the alliance whose seat "
        "holders see the issue; the holding committee when omitted. Not allowed otherwise.",
    )
    audience: list[str] | None = strawberry.field(
        default=None,
        description="With visibility ORGANISATIONS (required then): slugs of the member "
        "organisations to share it with. Not allowed otherwise.",
    )


@strawberry.input(
    description="Escalate an open issue to the parent of its holding committee. Only the "
    "holding committee's chair may, with governance:write. The deadline restarts with the "
    "parent's tier. The steering committee is the last tier: escalating there is refused "
    "(BAD_USER_INPUT), as is escalating a resolved issue."
)
class EscalateIssueInput:
    issue: strawberry.ID = strawberry.field(description="The issue's ID.")
    version: int = strawberry.field(
        description="The version you saw; if the issue moved meanwhile you get CONFLICT."
    )
    note: str = strawberry.field(
        default="", description="Why it goes up (up to 20,000 characters); kept in its history."
    )


@strawberry.input(
    description="Resolve an open issue. Only the holding committee's chair may, with "
    "governance:write. A resolution text is required; a resolved issue cannot be resolved "
    "or escalated again (BAD_USER_INPUT)."
)
class ResolveIssueInput:
    issue: strawberry.ID = strawberry.field(description="The issue's ID.")
    version: int = strawberry.field(
        description="The version you saw; if the issue moved meanwhile you get CONFLICT."
    )
    resolution: str = strawberry.field(
        description="How the issue was resolved (1-20,000 characters)."
    )


@strawberry.type(description="Result of raiseIssue, escalateIssue or resolveIssue.")
class IssuePayload:
    issue: Issue | None = strawberry.field(description="The issue as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


def _payload(row: governance.Issue | None, errors: list[UserError]) -> IssuePayload:
    return IssuePayload(issue=Issue.from_model(row) if row else None, user_errors=errors)


@strawberry.type
class Queries:
    issues: Connection[Issue] = strawberry.field(
        resolver=resolve_issues,
        description="Issues of an alliance visible to you, with filters (holding committee, "
        "status, severity, overdue). Needs governance:read.",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )


@strawberry.type
class Mutations:
    @strawberry.mutation(
        description="Raise an issue. Any current member organisation, with governance:write.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def raise_issue(
        self,
        info: Info,
        input: Annotated[RaiseIssueInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> IssuePayload:
        ctx = info.context

        async def raise_() -> governance.Issue:
            alliance_id = expect_global_id(input.alliance, "Alliance", "alliance")
            committee_id = expect_global_id(input.committee, "Committee", "committee")
            visibility_committee_id = (
                expect_global_id(input.visibility_committee, "Committee", "visibilityCommittee")
                if input.visibility_committee is not None
                else None
            )
            return await issues.raise_issue(
                ctx.session,
                ctx.principal,
                alliance_id,
                committee_id=committee_id,
                title=input.title,
                description=input.description,
                severity=input.severity,
                visibility=input.visibility,
                visibility_committee_id=visibility_committee_id,
                organisation_slugs=input.audience or (),
                now=utcnow(),
            )

        return _payload(*await guarded(ctx.session, raise_))

    @strawberry.mutation(
        description="Escalate an issue to the parent committee. The holding committee's "
        "chair only, with governance:write.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def escalate_issue(
        self,
        info: Info,
        input: Annotated[EscalateIssueInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> IssuePayload:
        ctx = info.context

        async def escalate() -> governance.Issue:
            issue_id = expect_global_id(input.issue, "Issue", "issue")
            return await issues.escalate_issue(
                ctx.session,
                ctx.principal,
                issue_id,
                expected_version=input.version,
                note=input.note,
                now=utcnow(),
            )

        return _payload(*await guarded(ctx.session, escalate))

    @strawberry.mutation(
        description="Resolve an issue with a resolution text. The holding committee's chair "
        "only, with governance:write.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def resolve_issue(
        self,
        info: Info,
        input: Annotated[ResolveIssueInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> IssuePayload:
        ctx = info.context

        async def resolve() -> governance.Issue:
            issue_id = expect_global_id(input.issue, "Issue", "issue")
            return await issues.resolve_issue(
                ctx.session,
                ctx.principal,
                issue_id,
                expected_version=input.version,
                resolution=input.resolution,
                now=utcnow(),
            )

        return _payload(*await guarded(ctx.session, resolve))


NODE_TYPES: dict[str, type[relay.Node]] = {"Issue": Issue, "IssueMove": IssueMove}
