"""The meetings mutations: their payloads and the resolvers that call the domain."""

from __future__ import annotations

import contextlib
import uuid
from typing import Annotated

import strawberry

from auth.scopes import Scope
from db import governance as db
from db.models import utcnow
from portal import meetings
from schema.context import Info
from schema.kernel.errors import UserError, guarded
from schema.kernel.ids import expect_global_id
from schema.kernel.scopes import Needs
from schema.meetings.inputs import (
    AddAgendaItemInput,
    CancelMeetingInput,
    MarkMeetingHeldInput,
    MoveAgendaItemInput,
    RecordAttendanceInput,
    RemoveAgendaItemInput,
    RescheduleMeetingInput,
    ScheduleMeetingInput,
)
from schema.meetings.types import AgendaItem, Attendance, Meeting, load_meeting


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
