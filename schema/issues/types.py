"""Issues and their escalation: the Issue and IssueMove types, the issues list, and the
raiseIssue / escalateIssue / resolveIssue mutations. The rules live in ``portal.issues``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth.scopes import Scope
from db import governance
from db.models import utcnow
from portal import issues
from schema.context import Info
from schema.issues.enums import IssueMoveKind, IssueSeverity, IssueStatus
from schema.kernel.enums import Visibility
from schema.kernel.nodes import AreaNode, load_required
from schema.organisations.types import Organisation, load_audience, load_organisation

if TYPE_CHECKING:
    from schema.committees.types import Committee
    from schema.loaders import Loaders


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


NODE_TYPES: dict[str, type[relay.Node]] = {"Issue": Issue, "IssueMove": IssueMove}
