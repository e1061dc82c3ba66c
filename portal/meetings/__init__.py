"""Meetings of committees: scheduled with notice, their agenda, attendance, held or
cancelled. Its modules are ``rules.py``, ``queries.py``, ``service.py``; this is the surface
other packages use: ``from portal import meetings``."""

from __future__ import annotations

from portal.meetings.queries import (
    get_meeting,
    list_query,
)
from portal.meetings.rules import (
    aware,
    check_notice,
    check_times,
    notice_days,
)
from portal.meetings.service import (
    AGENDA_MAX,
    ATTENDANCE_MAX,
    DESCRIPTION_MAX,
    LOCATION_MAX,
    TITLE_MAX,
    AttendanceEntry,
    add_agenda_item,
    cancel_meeting,
    mark_meeting_held,
    move_agenda_item,
    record_attendance,
    remove_agenda_item,
    reschedule_meeting,
    schedule_meeting,
)

__all__ = [
    "AGENDA_MAX",
    "ATTENDANCE_MAX",
    "DESCRIPTION_MAX",
    "LOCATION_MAX",
    "TITLE_MAX",
    "AttendanceEntry",
    "add_agenda_item",
    "aware",
    "cancel_meeting",
    "check_notice",
    "check_times",
    "get_meeting",
    "list_query",
    "mark_meeting_held",
    "move_agenda_item",
    "notice_days",
    "record_attendance",
    "remove_agenda_item",
    "reschedule_meeting",
    "schedule_meeting",
]
