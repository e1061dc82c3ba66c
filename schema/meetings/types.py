"""Meetings of committees: the Meeting, AgendaItem and Attendance types, the meeting
list, and the mutations that schedule meetings and keep their agendas and attendance."""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth.scopes import Scope
from db import governance as db
from db.enums import AgendaItemKind, MeetingKind, MeetingStatus
from db.models import utcnow
from portal.meetings import service as meetings
from schema.context import Info
from schema.kernel.errors import UserError, guarded
from schema.kernel.ids import expect_global_id
from schema.kernel.nodes import AreaNode, load_list, load_one, load_required
from schema.kernel.pagination import Connection, Ordering, PageRequest, paginate
from schema.kernel.scopes import Needs
from schema.organisations.types import Organisation, load_organisation

if TYPE_CHECKING:
    from schema.action_items.types import ActionItem
    from schema.committees.types import Committee, Seat
    from schema.decisions.types import Decision
    from schema.loaders import Loaders
    from schema.minutes.types import Minutes

strawberry.enum(
    MeetingKind,
    name="MeetingKind",
    description="Ordinary meetings need the alliance's ordinary notice period; "
    "extraordinary ones its (usually shorter) extraordinary notice period.",
)
strawberry.enum(
    MeetingStatus,
    name="MeetingStatus",
    description="Scheduled, then held or cancelled.",
)
strawberry.enum(
    AgendaItemKind,
    name="AgendaItemKind",
    description="What an agenda item asks of the meeting: to take note, to discuss, or to decide.",
)

# --- loaders (per request) ------------------------------------------------------------


def _forget(info: Info, meeting_id: uuid.UUID) -> None:
    """Drop a changed meeting from this request's loaders (a later mutation of the same
    request must not read what an earlier one changed from the cache)."""
    for loader in (
        info.context.loaders.meetings.by_id,
        info.context.loaders.meetings.agenda_of_meeting,
        info.context.loaders.meetings.attendance_of_meeting,
    ):
        with contextlib.suppress(KeyError):  # not loaded yet in this request
            loader.clear(meeting_id)


# --- types ----------------------------------------------------------------------------


@strawberry.type(
    description="An item on a meeting's agenda. Visible to every member of the alliance."
)
class AgendaItem(AreaNode):
    db_id: relay.NodeID[str]
    meeting_id: strawberry.Private[uuid.UUID]
    position: int = strawberry.field(description="Its place on the agenda, from 1.")
    title: str = strawberry.field(description="What the item is about.")
    kind: AgendaItemKind = strawberry.field(description="Information, discussion or decision.")
    description: str = strawberry.field(description="Background for the attendees.")

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
    title: str = strawberry.field(description="What the meeting is called.")
    kind: MeetingKind = strawberry.field(description="Ordinary or extraordinary.")
    starts_at: dt.datetime = strawberry.field(description="When it starts.")
    ends_at: dt.datetime | None = strawberry.field(description="When it ends, if set.")
    location: str = strawberry.field(description="The place, or a link to join.")
    status: MeetingStatus = strawberry.field(description="Scheduled, held or cancelled.")
    agenda_deadline: dt.datetime = strawberry.field(
        description="Agenda items can be added or removed until this moment (the alliance's "
        "agenda-deadline days before the start)."
    )
    version: int = strawberry.field(
        description="Changes with every edit of the meeting itself (time, status); send it "
        "back with rescheduleMeeting, cancelMeeting and markMeetingHeld."
    )
    created_at: dt.datetime = strawberry.field(description="When it was scheduled.")

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

    @strawberry.field(description="The committee that meets.")
    async def committee(
        self, info: Info
    ) -> Annotated[Committee, strawberry.lazy("schema.committees.types")]:
        return await load_required(info, info.context.loaders.committees.by_id, self.committee_id)

    @strawberry.field(description="The agenda, in order.")
    async def agenda_items(self, info: Info) -> list[AgendaItem]:
        rows = await info.context.loaders.meetings.agenda_of_meeting.load(uuid.UUID(self.db_id))
        return [AgendaItem.from_model(row) for row in rows]

    @strawberry.field(description="Attendance recorded per seat, in the order it was recorded.")
    async def attendance(self, info: Info) -> list[Attendance]:
        rows = await info.context.loaders.meetings.attendance_of_meeting.load(uuid.UUID(self.db_id))
        return [Attendance.from_model(row) for row in rows]

    @strawberry.field(
        description="The meeting's minutes; null when none are drafted yet or when you are "
        "not in their audience (by default the committee's seat holders)."
    )
    async def minutes(
        self, info: Info
    ) -> Annotated[Minutes, strawberry.lazy("schema.minutes.types")] | None:
        found = await load_list(
            info, info.context.loaders.minutes.of_meeting, uuid.UUID(self.db_id)
        )
        return found[0] if found else None

    @strawberry.field(description="Decisions taken in the meeting, oldest first.")
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


async def load_meetings_of_committee(info: Info, committee_id: uuid.UUID) -> list[Meeting]:
    """A committee's meetings, earliest first, batched for every committee of the request."""
    rows = await info.context.loaders.meetings.of_committee.load(committee_id)
    return [Meeting.from_model(row) for row in rows]


async def load_meeting(info: Info, meeting_id: uuid.UUID) -> Meeting | None:
    """A meeting the principal can see, through the request's loader; None otherwise."""
    row = await info.context.loaders.meetings.by_id.load(meeting_id)
    return Meeting.from_model(row) if row else None


# --- the meeting list -----------------------------------------------------------------


@strawberry.enum(description="Orders of the meeting list.")
class MeetingOrder(enum.Enum):
    STARTS_AT = "starts_at"
    STARTS_AT_DESC = "starts_at_desc"


MEETING_ORDERINGS = {
    MeetingOrder.STARTS_AT: Ordering("starts_at", (db.Meeting.starts_at, db.Meeting.id)),
    MeetingOrder.STARTS_AT_DESC: Ordering(
        "starts_at_desc", (db.Meeting.starts_at, db.Meeting.id), descending=True
    ),
}


@strawberry.input(description="Narrow the meeting list.")
class MeetingFilter:
    committee: strawberry.ID | None = strawberry.field(
        default=None, description="Only meetings of this committee."
    )
    statuses: list[MeetingStatus] | None = strawberry.field(
        default=None, description="Only meetings in these states."
    )
    from_: dt.datetime | None = strawberry.field(
        default=None, name="from", description="Only meetings starting at or after this time."
    )
    to: dt.datetime | None = strawberry.field(
        default=None, description="Only meetings starting before this time."
    )


async def resolve_meetings(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    filter: Annotated[
        MeetingFilter | None, strawberry.argument(description="Which meetings.")
    ] = None,
    first: Annotated[int | None, strawberry.argument(description="Page size (max 100).")] = None,
    after: Annotated[str | None, strawberry.argument(description="Cursor to start after.")] = None,
    last: Annotated[int | None, strawberry.argument(description="Page size from the end.")] = None,
    before: Annotated[str | None, strawberry.argument(description="Cursor to end before.")] = None,
    order_by: Annotated[
        MeetingOrder, strawberry.argument(description="Sort order.")
    ] = MeetingOrder.STARTS_AT,
) -> Connection[Meeting]:
    """Meetings of the alliance's committees. Needs governance:read; empty for an alliance
    your organisation is not a current member of."""
    principal = info.context.principal
    chosen = filter or MeetingFilter()
    query = meetings.list_query(
        principal,
        expect_global_id(alliance, "Alliance", "alliance"),
        committee_id=(
            expect_global_id(chosen.committee, "Committee", "committee")
            if chosen.committee is not None
            else None
        ),
        statuses=chosen.statuses,
        starts_from=chosen.from_,
        starts_before=chosen.to,
    )
    page = PageRequest(first=first, after=after, last=last, before=before)
    return await paginate(
        info.context.session,
        query,
        MEETING_ORDERINGS[order_by],
        page,
        Meeting.from_model,
    )


@strawberry.type
class Queries:
    meetings: Connection[Meeting] = strawberry.field(
        resolver=resolve_meetings,
        description="Meetings of an alliance's committees, by start time. Needs governance:read.",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )


# --- mutations ------------------------------------------------------------------------

SECRETARY_ONLY = (
    "Only the committee's secretary (an organisation holding its SECRETARY seat, with a "
    "governance:write credential)."
)


@strawberry.input(
    description="Schedule a meeting of a committee. "
    + SECRETARY_ONLY
    + " It must start at least the alliance's notice period after now (ordinary or "
    "extraordinary, by kind), else BAD_USER_INPUT on startsAt naming the earliest allowed "
    "time. Its agenda deadline is the alliance's agenda-deadline days before the start."
)
class ScheduleMeetingInput:
    committee: strawberry.ID = strawberry.field(description="The committee's ID.")
    title: str = strawberry.field(description="What the meeting is called (1-200 characters).")
    kind: MeetingKind = strawberry.field(
        default=MeetingKind.ORDINARY, description="Ordinary (default) or extraordinary."
    )
    starts_at: dt.datetime = strawberry.field(
        description="When it starts, with a UTC offset; no earlier than the notice period."
    )
    ends_at: dt.datetime | None = strawberry.field(
        default=None, description="When it ends; after the start."
    )
    location: str = strawberry.field(
        default="", description="The place, or a link to join (at most 500 characters)."
    )


@strawberry.input(
    description="Move a scheduled meeting to another time. "
    + SECRETARY_ONLY
    + " The notice period applies again to the new time; the agenda deadline moves with it."
)
class RescheduleMeetingInput:
    meeting: strawberry.ID = strawberry.field(description="The meeting's ID.")
    version: int = strawberry.field(
        description="The version you edited; if it changed meanwhile you get CONFLICT."
    )
    starts_at: dt.datetime = strawberry.field(description="The new start, with a UTC offset.")
    ends_at: dt.datetime | None = strawberry.field(
        default=None, description="The new end; omitted, the meeting keeps its length."
    )
    location: str | None = strawberry.field(
        default=None, description="A new place or link; omitted, it stays."
    )


@strawberry.input(
    description="Cancel a scheduled meeting. "
    + SECRETARY_ONLY
    + " Held or already cancelled meetings cannot be cancelled (CONFLICT)."
)
class CancelMeetingInput:
    meeting: strawberry.ID = strawberry.field(description="The meeting's ID.")
    version: int = strawberry.field(
        description="The version you saw; if it changed meanwhile you get CONFLICT."
    )


@strawberry.input(
    description="Record that a scheduled meeting took place. The committee's secretary or "
    "chair (with governance:write), once the meeting has started."
)
class MarkMeetingHeldInput:
    meeting: strawberry.ID = strawberry.field(description="The meeting's ID.")
    version: int = strawberry.field(
        description="The version you saw; if it changed meanwhile you get CONFLICT."
    )


@strawberry.input(
    description="Append an item to a scheduled meeting's agenda. "
    + SECRETARY_ONLY
    + " Only until the agenda deadline."
)
class AddAgendaItemInput:
    meeting: strawberry.ID = strawberry.field(description="The meeting's ID.")
    title: str = strawberry.field(description="What the item is about (1-200 characters).")
    kind: AgendaItemKind = strawberry.field(description="Information, discussion or decision.")
    description: str = strawberry.field(default="", description="Background for attendees.")


@strawberry.input(
    description="Move an agenda item to another place; the items in between close up. "
    + SECRETARY_ONLY
    + " While the meeting is scheduled (also after the agenda deadline: reordering adds "
    "nothing)."
)
class MoveAgendaItemInput:
    agenda_item: strawberry.ID = strawberry.field(description="The agenda item's ID.")
    position: int = strawberry.field(
        description="Its new place, from 1 to the number of items on the agenda."
    )


@strawberry.input(
    description="Take an item off a scheduled meeting's agenda; the items after it close "
    "up. " + SECRETARY_ONLY + " Only until the agenda deadline."
)
class RemoveAgendaItemInput:
    agenda_item: strawberry.ID = strawberry.field(description="The agenda item's ID.")


@strawberry.input(description="One seat's attendance.")
class AttendanceEntryInput:
    seat: strawberry.ID = strawberry.field(
        description="A seat of the meeting's committee (a seat of another committee is "
        "BAD_USER_INPUT)."
    )
    present: bool = strawberry.field(description="Whether its organisation attended.")


@strawberry.input(
    description="Record attendance per seat; a seat recorded before is updated. "
    + SECRETARY_ONLY
    + " Once the meeting has started, whether or not it is marked held yet; never for a "
    "cancelled meeting."
)
class RecordAttendanceInput:
    meeting: strawberry.ID = strawberry.field(description="The meeting's ID.")
    attendance: list[AttendanceEntryInput] = strawberry.field(
        description="The seats to record (each at most once, up to 500)."
    )


@strawberry.type(description="Result of a change to a meeting.")
class MeetingPayload:
    meeting: Meeting | None = strawberry.field(description="The meeting as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="Result of a change to an agenda item.")
class AgendaItemPayload:
    agenda_item: AgendaItem | None = strawberry.field(description="The item as changed.")
    meeting: Meeting | None = strawberry.field(description="Its meeting, with the new agenda.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="Result of recordAttendance.")
class RecordAttendancePayload:
    meeting: Meeting | None = strawberry.field(description="The meeting.")
    attendance: list[Attendance] | None = strawberry.field(
        description="The attendance recorded by this call, in the order given."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was recorded.")


def _meeting_payload(info: Info, row: db.Meeting | None, errors: list[UserError]) -> MeetingPayload:
    if row is None:
        return MeetingPayload(meeting=None, user_errors=errors)
    _forget(info, row.id)
    return MeetingPayload(meeting=Meeting.from_model(row), user_errors=errors)


INPUT = "What to change; its description states who may do it and the rules."


@strawberry.type
class Mutations:
    @strawberry.mutation(
        description="Schedule a committee meeting (its secretary; notice period applies).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def schedule_meeting(
        self,
        info: Info,
        input: Annotated[ScheduleMeetingInput, strawberry.argument(description=INPUT)],
    ) -> MeetingPayload:
        ctx = info.context

        async def schedule() -> db.Meeting:
            return await meetings.schedule_meeting(
                ctx.session,
                ctx.principal,
                expect_global_id(input.committee, "Committee", "committee"),
                title=input.title,
                kind=input.kind,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                location=input.location,
                now=utcnow(),
            )

        return _meeting_payload(info, *await guarded(ctx.session, schedule))

    @strawberry.mutation(
        description="Move a scheduled meeting (its secretary; notice period applies again).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def reschedule_meeting(
        self,
        info: Info,
        input: Annotated[RescheduleMeetingInput, strawberry.argument(description=INPUT)],
    ) -> MeetingPayload:
        ctx = info.context

        async def reschedule() -> db.Meeting:
            return await meetings.reschedule_meeting(
                ctx.session,
                ctx.principal,
                expect_global_id(input.meeting, "Meeting", "meeting"),
                expected_version=input.version,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                location=input.location,
                now=utcnow(),
            )

        return _meeting_payload(info, *await guarded(ctx.session, reschedule))

    @strawberry.mutation(
        description="Cancel a scheduled meeting (its committee's secretary).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def cancel_meeting(
        self,
        info: Info,
        input: Annotated[CancelMeetingInput, strawberry.argument(description=INPUT)],
    ) -> MeetingPayload:
        ctx = info.context

        async def cancel() -> db.Meeting:
            return await meetings.cancel_meeting(
                ctx.session,
                ctx.principal,
                expect_global_id(input.meeting, "Meeting", "meeting"),
                expected_version=input.version,
            )

        return _meeting_payload(info, *await guarded(ctx.session, cancel))

    @strawberry.mutation(
        description="Record that a meeting took place (secretary or chair; once started).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def mark_meeting_held(
        self,
        info: Info,
        input: Annotated[MarkMeetingHeldInput, strawberry.argument(description=INPUT)],
    ) -> MeetingPayload:
        ctx = info.context

        async def mark() -> db.Meeting:
            return await meetings.mark_meeting_held(
                ctx.session,
                ctx.principal,
                expect_global_id(input.meeting, "Meeting", "meeting"),
                expected_version=input.version,
                now=utcnow(),
            )

        return _meeting_payload(info, *await guarded(ctx.session, mark))

    @strawberry.mutation(
        description="Append an agenda item (the secretary; until the agenda deadline).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def add_agenda_item(
        self,
        info: Info,
        input: Annotated[AddAgendaItemInput, strawberry.argument(description=INPUT)],
    ) -> AgendaItemPayload:
        ctx = info.context

        async def add() -> db.AgendaItem:
            return await meetings.add_agenda_item(
                ctx.session,
                ctx.principal,
                expect_global_id(input.meeting, "Meeting", "meeting"),
                title=input.title,
                kind=input.kind,
                description=input.description,
                now=utcnow(),
            )

        return await _agenda_item_payload(info, *await guarded(ctx.session, add))

    @strawberry.mutation(
        description="Move an agenda item to another place (the secretary).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def move_agenda_item(
        self,
        info: Info,
        input: Annotated[MoveAgendaItemInput, strawberry.argument(description=INPUT)],
    ) -> AgendaItemPayload:
        ctx = info.context

        async def move() -> db.AgendaItem:
            return await meetings.move_agenda_item(
                ctx.session,
                ctx.principal,
                expect_global_id(input.agenda_item, "AgendaItem", "agendaItem"),
                position=input.position,
            )

        return await _agenda_item_payload(info, *await guarded(ctx.session, move))

    @strawberry.mutation(
        description="Take an item off the agenda (the secretary; until the agenda deadline).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def remove_agenda_item(
        self,
        info: Info,
        input: Annotated[RemoveAgendaItemInput, strawberry.argument(description=INPUT)],
    ) -> MeetingPayload:
        ctx = info.context

        async def remove() -> db.Meeting:
            return await meetings.remove_agenda_item(
                ctx.session,
                ctx.principal,
                expect_global_id(input.agenda_item, "AgendaItem", "agendaItem"),
                now=utcnow(),
            )

        return _meeting_payload(info, *await guarded(ctx.session, remove))

    @strawberry.mutation(
        description="Record attendance per seat (the secretary; once the meeting started).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def record_attendance(
        self,
        info: Info,
        input: Annotated[RecordAttendanceInput, strawberry.argument(description=INPUT)],
    ) -> RecordAttendancePayload:
        ctx = info.context

        async def record() -> tuple[db.Meeting, list[db.Attendance]]:
            meeting_id = expect_global_id(input.meeting, "Meeting", "meeting")
            entries = [
                meetings.AttendanceEntry(
                    seat_id=expect_global_id(entry.seat, "Seat", "attendance"),
                    present=entry.present,
                )
                for entry in input.attendance
            ]
            rows = await meetings.record_attendance(
                ctx.session, ctx.principal, meeting_id, entries, now=utcnow()
            )
            return await meetings.get_meeting(ctx.session, ctx.principal, meeting_id), rows

        result, errors = await guarded(ctx.session, record)
        if result is None:
            return RecordAttendancePayload(meeting=None, attendance=None, user_errors=errors)
        meeting, rows = result
        _forget(info, meeting.id)
        return RecordAttendancePayload(
            meeting=Meeting.from_model(meeting),
            attendance=[Attendance.from_model(row) for row in rows],
            user_errors=errors,
        )


async def _agenda_item_payload(
    info: Info, row: db.AgendaItem | None, errors: list[UserError]
) -> AgendaItemPayload:
    if row is None:
        return AgendaItemPayload(agenda_item=None, meeting=None, user_errors=errors)
    _forget(info, row.meeting_id)
    info.context.loaders.meetings.agenda_item_by_id.clear_all()
    return AgendaItemPayload(
        agenda_item=AgendaItem.from_model(row),
        meeting=await load_meeting(info, row.meeting_id),
        user_errors=errors,
    )


NODE_TYPES: dict[str, type[relay.Node]] = {"Meeting": Meeting, "AgendaItem": AgendaItem}
