"""Meetings of committees: scheduling with the alliance's notice period, the ordered
agenda up to its deadline, attendance per seat, and the meeting's life-cycle
(scheduled → held, or scheduled → cancelled).

Who may do what (SPEC §4): the committee's secretary schedules, reschedules and cancels
meetings, keeps the agenda and records attendance; the secretary or the chair marks a
meeting held. Every member of the alliance sees its meetings.

Functions take a session and a principal, check permissions through ``auth.policy`` (via
``portal.committees.queries``), change models and flush; the operation's transaction commits.
Every rule that depends on the clock takes ``now``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from auth import policy
from auth.principal import Principal
from db.enums import AgendaItemKind, MeetingKind, MeetingStatus
from db.governance import AgendaItem, Attendance, Meeting, Seat
from db.session import LockedSession
from portal.committees import queries as governance
from portal.kernel.checks import check_version, checked_text
from portal.kernel.errors import BadInput, Conflict, NotFound
from portal.meetings.queries import get_meeting
from portal.meetings.rules import aware, check_notice, check_times

TITLE_MAX = 200
LOCATION_MAX = 500
DESCRIPTION_MAX = 20_000
AGENDA_MAX = 200
ATTENDANCE_MAX = 500


@dataclass(frozen=True, slots=True)
class AttendanceEntry:
    """Whether the organisation holding ``seat_id`` attended."""

    seat_id: uuid.UUID
    present: bool


# --- look-ups -------------------------------------------------------------------------


async def _agenda(
    session: LockedSession, principal: Principal, meeting: Meeting
) -> list[AgendaItem]:
    rows = await session.scalars(
        policy.alliance_records(principal, AgendaItem)
        .where(AgendaItem.meeting_id == meeting.id)
        .order_by(AgendaItem.position)
        # positions read before the meeting was locked may be stale: refresh them
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def _agenda_item_with_meeting(
    session: LockedSession, principal: Principal, agenda_item_id: uuid.UUID
) -> tuple[AgendaItem, Meeting]:
    item = await session.scalar(
        policy.alliance_records(principal, AgendaItem).where(AgendaItem.id == agenda_item_id)
    )
    if item is None:
        raise NotFound("no such agenda item", field="agendaItem")
    meeting = await get_meeting(session, principal, item.meeting_id, for_update=True)
    return item, meeting


# --- states ---------------------------------------------------------------------------


def _require_scheduled(meeting: Meeting, doing: str) -> None:
    if meeting.status is not MeetingStatus.SCHEDULED:
        raise Conflict(
            f"the meeting is {meeting.status.value}; only a scheduled meeting can be {doing}",
            field="meeting",
        )


def _require_before_deadline(meeting: Meeting, now: dt.datetime) -> None:
    if now > meeting.agenda_deadline:
        raise BadInput(
            "the agenda closed at "
            f"{meeting.agenda_deadline.astimezone(dt.UTC).isoformat()} (the agenda deadline)",
            field="meeting",
        )


async def _require_secretary(
    session: LockedSession, principal: Principal, meeting: Meeting, action: str
) -> Seat:
    return await governance.require_seat(
        session, principal, meeting.committee_id, *policy.SECRETARIAT, action=action
    )


# --- the meeting ----------------------------------------------------------------------


async def schedule_meeting(
    session: LockedSession,
    principal: Principal,
    committee_id: uuid.UUID,
    *,
    title: str,
    kind: MeetingKind,
    starts_at: dt.datetime,
    ends_at: dt.datetime | None = None,
    location: str = "",
    now: dt.datetime,
) -> Meeting:
    """Schedule a meeting of a committee. The committee's secretary only; it must start at
    least the alliance's notice period for its kind after ``now``; its agenda closes the
    alliance's agenda-deadline days before it starts."""
    governance.require_write(principal)
    committee = await governance.get_committee(session, principal, committee_id)
    await governance.require_seat(
        session, principal, committee.id, *policy.SECRETARIAT, action="schedule meetings"
    )
    title = checked_text(title, "title", limit=TITLE_MAX, required=True)
    location = checked_text(location, "location", limit=LOCATION_MAX, required=False)
    starts_at = aware(starts_at, "startsAt")
    check_times(starts_at, ends_at)
    rules = await governance.get_rules(session, principal, committee.alliance_id)
    check_notice(rules, kind, starts_at, now)
    meeting = Meeting(
        id=uuid.uuid4(),
        alliance_id=committee.alliance_id,
        committee_id=committee.id,
        title=title,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        status=MeetingStatus.SCHEDULED,
        agenda_deadline=starts_at - dt.timedelta(days=rules.agenda_deadline_days),
        version=1,
    )
    session.add(meeting)
    await session.flush()
    return meeting


async def reschedule_meeting(
    session: LockedSession,
    principal: Principal,
    meeting_id: uuid.UUID,
    *,
    expected_version: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime | None = None,
    location: str | None = None,
    now: dt.datetime,
) -> Meeting:
    """Move a scheduled meeting. The secretary only; the notice period applies again to
    the new time, and the agenda deadline moves with it. Without ``ends_at`` the meeting
    keeps its length; without ``location`` its place."""
    governance.require_write(principal)
    meeting = await get_meeting(session, principal, meeting_id, for_update=True)
    await _require_secretary(session, principal, meeting, "reschedule meetings")
    check_version(meeting.version, expected_version, "meeting")
    _require_scheduled(meeting, "rescheduled")
    starts_at = aware(starts_at, "startsAt")
    if ends_at is None and meeting.ends_at is not None:
        ends_at = starts_at + (meeting.ends_at - meeting.starts_at)
    check_times(starts_at, ends_at)
    if location is not None:
        meeting.location = checked_text(location, "location", limit=LOCATION_MAX, required=False)
    rules = await governance.get_rules(session, principal, meeting.alliance_id)
    check_notice(rules, meeting.kind, starts_at, now)
    meeting.starts_at = starts_at
    meeting.ends_at = ends_at
    meeting.agenda_deadline = starts_at - dt.timedelta(days=rules.agenda_deadline_days)
    meeting.version += 1
    await session.flush()
    return meeting


async def cancel_meeting(
    session: LockedSession,
    principal: Principal,
    meeting_id: uuid.UUID,
    *,
    expected_version: int,
) -> Meeting:
    """Cancel a scheduled meeting. The secretary only; held meetings stay held."""
    governance.require_write(principal)
    meeting = await get_meeting(session, principal, meeting_id, for_update=True)
    await _require_secretary(session, principal, meeting, "cancel meetings")
    check_version(meeting.version, expected_version, "meeting")
    _require_scheduled(meeting, "cancelled")
    meeting.status = MeetingStatus.CANCELLED
    meeting.version += 1
    await session.flush()
    return meeting


async def mark_meeting_held(
    session: LockedSession,
    principal: Principal,
    meeting_id: uuid.UUID,
    *,
    expected_version: int,
    now: dt.datetime,
) -> Meeting:
    """Record that a scheduled meeting took place. The secretary or the chair, once the
    meeting has started."""
    governance.require_write(principal)
    meeting = await get_meeting(session, principal, meeting_id, for_update=True)
    await governance.require_seat(
        session,
        principal,
        meeting.committee_id,
        *policy.OFFICERS,
        action="mark meetings held",
    )
    check_version(meeting.version, expected_version, "meeting")
    _require_scheduled(meeting, "marked held")
    if now < meeting.starts_at:
        raise BadInput(
            "the meeting has not started yet; it starts at "
            f"{meeting.starts_at.astimezone(dt.UTC).isoformat()}",
            field="meeting",
        )
    meeting.status = MeetingStatus.HELD
    meeting.version += 1
    await session.flush()
    return meeting


# --- the agenda -----------------------------------------------------------------------


async def add_agenda_item(
    session: LockedSession,
    principal: Principal,
    meeting_id: uuid.UUID,
    *,
    title: str,
    kind: AgendaItemKind,
    description: str = "",
    now: dt.datetime,
) -> AgendaItem:
    """Append an item to a scheduled meeting's agenda. The secretary only, until the
    agenda deadline."""
    governance.require_write(principal)
    # the lock serialises appends, so two items never claim the same position
    meeting = await get_meeting(session, principal, meeting_id, for_update=True)
    await _require_secretary(session, principal, meeting, "add agenda items")
    _require_scheduled(meeting, "given agenda items")
    _require_before_deadline(meeting, now)
    title = checked_text(title, "title", limit=TITLE_MAX, required=True)
    description = checked_text(description, "description", limit=DESCRIPTION_MAX, required=False)
    agenda = await _agenda(session, principal, meeting)
    if len(agenda) >= AGENDA_MAX:
        raise BadInput(f"an agenda holds at most {AGENDA_MAX} items", field="meeting")
    item = AgendaItem(
        id=uuid.uuid4(),
        alliance_id=meeting.alliance_id,
        meeting_id=meeting.id,
        position=len(agenda) + 1,
        title=title,
        kind=kind,
        description=description,
    )
    session.add(item)
    await session.flush()
    return item


async def _shift(session: LockedSession, items: Sequence[AgendaItem], step: int) -> None:
    """Move ``items`` by ``step`` one at a time, in the given order, so that no two rows
    ever share a position (the unique constraint is checked row by row)."""
    for item in items:
        item.position += step
        await session.flush()


async def move_agenda_item(
    session: LockedSession,
    principal: Principal,
    agenda_item_id: uuid.UUID,
    *,
    position: int,
) -> AgendaItem:
    """Move an agenda item to ``position`` (1 is the first); the items in between close
    up. The secretary only, while the meeting is scheduled (reordering is allowed after
    the agenda deadline: it adds nothing to the agenda)."""
    governance.require_write(principal)
    item, meeting = await _agenda_item_with_meeting(session, principal, agenda_item_id)
    await _require_secretary(session, principal, meeting, "reorder the agenda")
    _require_scheduled(meeting, "given a new agenda order")
    agenda = await _agenda(session, principal, meeting)
    if not 1 <= position <= len(agenda):
        raise BadInput(f"the position must be between 1 and {len(agenda)}", field="position")
    old = item.position
    if position == old:
        return item
    # Park the moved item outside the numbering (positions start at 1), close up the
    # items in between in an order that never collides, then put it in its place.
    item.position = 0
    await session.flush()
    if position < old:
        between = [other for other in agenda if position <= other.position < old]
        await _shift(session, sorted(between, key=lambda o: o.position, reverse=True), +1)
    else:
        between = [other for other in agenda if old < other.position <= position]
        await _shift(session, sorted(between, key=lambda o: o.position), -1)
    item.position = position
    await session.flush()
    return item


async def remove_agenda_item(
    session: LockedSession,
    principal: Principal,
    agenda_item_id: uuid.UUID,
    *,
    now: dt.datetime,
) -> Meeting:
    """Take an item off a scheduled meeting's agenda; the items after it close up. The
    secretary only, until the agenda deadline."""
    governance.require_write(principal)
    item, meeting = await _agenda_item_with_meeting(session, principal, agenda_item_id)
    await _require_secretary(session, principal, meeting, "remove agenda items")
    _require_scheduled(meeting, "given a new agenda")
    _require_before_deadline(meeting, now)
    agenda = await _agenda(session, principal, meeting)
    removed = item.position
    await session.delete(item)
    await session.flush()
    later = sorted((o for o in agenda if o.position > removed), key=lambda o: o.position)
    await _shift(session, later, -1)
    return meeting


# --- attendance -----------------------------------------------------------------------


async def record_attendance(
    session: LockedSession,
    principal: Principal,
    meeting_id: uuid.UUID,
    entries: Sequence[AttendanceEntry],
    *,
    now: dt.datetime,
) -> list[Attendance]:
    """Record, per seat of the meeting's committee, whether its organisation attended; a
    seat recorded before is updated. The secretary only, once the meeting has started
    (scheduled or held, never cancelled)."""
    governance.require_write(principal)
    meeting = await get_meeting(session, principal, meeting_id, for_update=True)
    await _require_secretary(session, principal, meeting, "record attendance")
    if meeting.status is MeetingStatus.CANCELLED:
        raise Conflict("the meeting was cancelled", field="meeting")
    if now < meeting.starts_at:
        raise BadInput(
            "attendance is recorded once the meeting has started; it starts at "
            f"{meeting.starts_at.astimezone(dt.UTC).isoformat()}",
            field="meeting",
        )
    if not entries:
        raise BadInput("name at least one seat", field="attendance")
    if len(entries) > ATTENDANCE_MAX:
        raise BadInput(f"at most {ATTENDANCE_MAX} seats at once", field="attendance")
    seat_ids = [entry.seat_id for entry in entries]
    if len(set(seat_ids)) != len(seat_ids):
        raise BadInput("each seat may be named once", field="attendance")
    seats = {
        seat.id: seat
        for seat in await session.scalars(
            policy.alliance_records(principal, Seat).where(Seat.id.in_(seat_ids))
        )
    }
    for seat_id in seat_ids:
        seat = seats.get(seat_id)
        if seat is None:
            raise NotFound("no such seat", field="attendance")
        if seat.committee_id != meeting.committee_id:
            raise BadInput("the seat belongs to another committee", field="attendance")
    existing = {
        row.seat_id: row
        for row in await session.scalars(
            policy.alliance_records(principal, Attendance).where(
                Attendance.meeting_id == meeting.id, Attendance.seat_id.in_(seat_ids)
            )
        )
    }
    recorded: list[Attendance] = []
    for entry in entries:
        row = existing.get(entry.seat_id)
        if row is None:
            row = Attendance(
                id=uuid.uuid4(),
                alliance_id=meeting.alliance_id,
                meeting_id=meeting.id,
                seat_id=entry.seat_id,
                organisation_id=seats[entry.seat_id].organisation_id,
                present=entry.present,
                recorded_at=now,
            )
            session.add(row)
        elif row.present != entry.present:
            row.present = entry.present
            row.recorded_at = now
        recorded.append(row)
    await session.flush()
    return recorded
