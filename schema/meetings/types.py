"""Meetings of committees: the Meeting, AgendaItem and Attendance types, the meeting
list, and the mutations that schedule meetings and keep their agendas and attendance."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth.scopes import Scope
from db import governance as db
from schema.context import Info
from schema.kernel import sql
from schema.kernel.nodes import AreaNode, load_list, load_one, load_required
from schema.meetings.enums import AgendaItemKind, MeetingKind, MeetingStatus
from schema.organisations.types import Organisation, load_organisation

if TYPE_CHECKING:
    from schema.action_items.types import ActionItem
    from schema.committees.types import Committee, Seat
    from schema.decisions.types import Decision
    from schema.loaders import Loaders
    from schema.minutes.types import Minutes


@strawberry.type(
    description="An item on a meeting's agenda. Visible to every member of the alliance."
)
class AgendaItem(AreaNode):
    db_id: relay.NodeID[str]
    meeting_id: strawberry.Private[uuid.UUID]
    position: int = strawberry.field(
        metadata=sql.column("{t}.position", "int"), description="Its place on the agenda, from 1."
    )
    title: str = strawberry.field(
        metadata=sql.column("{t}.title"), description="What the item is about."
    )
    kind: AgendaItemKind = strawberry.field(
        metadata=sql.column("{t}.kind", enum=AgendaItemKind),
        description="Information, discussion or decision.",
    )
    description: str = strawberry.field(
        metadata=sql.column("{t}.description"), description="Background for the attendees."
    )

    @classmethod
    def from_model(cls, row: db.AgendaItem) -> AgendaItem:
        return cls(
            db_id=str(row.id),
            meeting_id=row.meeting_id,
            position=row.position,
            title=row.title,
            kind=row.kind,
            description=row.description,
        )

    @strawberry.field(description="The meeting whose agenda it is on.")
    async def meeting(self, info: Info) -> Meeting:
        found = await load_meeting(info, self.meeting_id)
        if found is None:
            raise LookupError("a visible agenda item's meeting is visible")
        return found

    read_scope = Scope.GOVERNANCE_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.meetings.agenda_item_by_id

    sql_table = sql.alliance_records("agenda_items")


@strawberry.type(description="Whether a seat's organisation attended a meeting.")
class Attendance:
    seat_id: strawberry.Private[uuid.UUID | None]
    organisation_id: strawberry.Private[uuid.UUID]
    present: bool = strawberry.field(description="It was represented at the meeting.")
    recorded_at: dt.datetime = strawberry.field(description="When this was last recorded.")

    @classmethod
    def from_model(cls, row: db.Attendance) -> Attendance:
        return cls(
            seat_id=row.seat_id,
            organisation_id=row.organisation_id,
            present=row.present,
            recorded_at=row.recorded_at,
        )

    @strawberry.field(description="The seat; null if it has been given up since.")
    async def seat(
        self, info: Info
    ) -> Annotated[Seat, strawberry.lazy("schema.committees.types")] | None:
        if self.seat_id is None:
            return None
        return await load_one(info, info.context.loaders.committees.seat_by_id, self.seat_id)

    @strawberry.field(
        description="The organisation that held the seat, kept after it leaves the alliance."
    )
    async def organisation(self, info: Info) -> Organisation:
        return await load_organisation(info, self.organisation_id)


@strawberry.type(
    description="A meeting of a committee: scheduled by its secretary with the alliance's "
    "notice period, then held or cancelled. Visible to every member of the alliance."
)
class Meeting(AreaNode):
    db_id: relay.NodeID[str]
    committee_id: strawberry.Private[uuid.UUID]
    title: str = strawberry.field(
        metadata=sql.column("{t}.title"), description="What the meeting is called."
    )
    kind: MeetingKind = strawberry.field(
        metadata=sql.column("{t}.kind", enum=MeetingKind), description="Ordinary or extraordinary."
    )
    starts_at: dt.datetime = strawberry.field(
        metadata=sql.column("{t}.starts_at", "datetime"), description="When it starts."
    )
    ends_at: dt.datetime | None = strawberry.field(
        metadata=sql.column("{t}.ends_at", "datetime"), description="When it ends, if set."
    )
    location: str = strawberry.field(
        metadata=sql.column("{t}.location"), description="The place, or a link to join."
    )
    status: MeetingStatus = strawberry.field(
        metadata=sql.column("{t}.status", enum=MeetingStatus),
        description="Scheduled, held or cancelled.",
    )
    agenda_deadline: dt.datetime = strawberry.field(
        metadata=sql.column("{t}.agenda_deadline", "datetime"),
        description="Agenda items can be added or removed until this moment (the alliance's "
        "agenda-deadline days before the start).",
    )
    version: int = strawberry.field(
        metadata=sql.column("{t}.version", "int"),
        description="Changes with every edit of the meeting itself (time, status); send it "
        "back with rescheduleMeeting, cancelMeeting and markMeetingHeld.",
    )
    created_at: dt.datetime = strawberry.field(
        metadata=sql.column("{t}.created_at", "datetime"), description="When it was scheduled."
    )

    @classmethod
    def from_model(cls, row: db.Meeting) -> Meeting:
        return cls(
            db_id=str(row.id),
            committee_id=row.committee_id,
            title=row.title,
            kind=row.kind,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            location=row.location,
            status=row.status,
            agenda_deadline=row.agenda_deadline,
            version=row.version,
            created_at=row.created_at,
        )

    @strawberry.field(
        metadata=sql.to_one("Committee", "{c}.id = {p}.committee_id"),
        description="The committee that meets.",
    )
    async def committee(
        self, info: Info
    ) -> Annotated[Committee, strawberry.lazy("schema.committees.types")]:
        return await load_required(info, info.context.loaders.committees.by_id, self.committee_id)

    @strawberry.field(
        metadata=sql.to_many("AgendaItem", "{c}.meeting_id = {p}.id", "{c}.position"),
        description="The agenda, in order.",
    )
    async def agenda_items(self, info: Info) -> list[AgendaItem]:
        rows = await info.context.loaders.meetings.agenda_of_meeting.load(uuid.UUID(self.db_id))
        return [AgendaItem.from_model(row) for row in rows]

    @strawberry.field(description="Attendance recorded per seat, in the order it was recorded.")
    async def attendance(self, info: Info) -> list[Attendance]:
        rows = await info.context.loaders.meetings.attendance_of_meeting.load(uuid.UUID(self.db_id))
        return [Attendance.from_model(row) for row in rows]

    @strawberry.field(
        metadata=sql.to_one("Minutes", "{c}.meeting_id = {p}.id"),
        description="The meeting's minutes; null when none are drafted yet or when you are "
        "not in their audience (by default the committee's seat holders).",
    )
    async def minutes(
        self, info: Info
    ) -> Annotated[Minutes, strawberry.lazy("schema.minutes.types")] | None:
        found = await load_list(
            info, info.context.loaders.minutes.of_meeting, uuid.UUID(self.db_id)
        )
        return found[0] if found else None

    @strawberry.field(
        metadata=sql.to_many("Decision", "{c}.meeting_id = {p}.id", "{c}.created_at, {c}.id"),
        description="Decisions taken in the meeting, oldest first.",
    )
    async def decisions(
        self, info: Info
    ) -> list[Annotated[Decision, strawberry.lazy("schema.decisions.types")]]:
        return await load_list(
            info, info.context.loaders.decisions.of_meeting, uuid.UUID(self.db_id)
        )

    @strawberry.field(description="Action items agreed in the meeting.")
    async def action_items(
        self, info: Info
    ) -> list[Annotated[ActionItem, strawberry.lazy("schema.action_items.types")]]:
        return await load_list(
            info, info.context.loaders.action_items.of_meeting, uuid.UUID(self.db_id)
        )

    read_scope = Scope.GOVERNANCE_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.meetings.by_id

    sql_table = sql.alliance_records("meetings")


async def load_meetings_of_committee(info: Info, committee_id: uuid.UUID) -> list[Meeting]:
    """A committee's meetings, earliest first, batched for every committee of the request."""
    rows = await info.context.loaders.meetings.of_committee.load(committee_id)
    return [Meeting.from_model(row) for row in rows]


async def load_meeting(info: Info, meeting_id: uuid.UUID) -> Meeting | None:
    """A meeting the principal can see, through the request's loader; None otherwise."""
    row = await info.context.loaders.meetings.by_id.load(meeting_id)
    return Meeting.from_model(row) if row else None


NODE_TYPES: dict[str, type[relay.Node]] = {"Meeting": Meeting, "AgendaItem": AgendaItem}
