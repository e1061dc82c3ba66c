"""What the meetings mutations take: their input types."""

from __future__ import annotations

import datetime as dt

import strawberry

from schema.meetings.enums import AgendaItemKind, MeetingKind

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
