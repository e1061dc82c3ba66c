"""The request's loaders of meetings: every nested list costs one statement per level."""

from __future__ import annotations

from auth import policy
from auth.principal import Principal
from db import governance as db
from db.governance import Meeting
from db.session import LockedSession
from schema.kernel.loading import by_id_loader, grouped_loader


class MeetingLoaders:
    """Meetings of the committees of alliances the organisation is active in."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.by_id = by_id_loader(session, policy.alliance_records(principal, Meeting))
        self.of_committee = grouped_loader(
            session,
            policy.alliance_records(principal, Meeting),
            Meeting.committee_id,
            Meeting.starts_at,
            Meeting.id,
        )
        self.agenda_item_by_id = by_id_loader(
            session, policy.alliance_records(principal, db.AgendaItem)
        )
        self.agenda_of_meeting = grouped_loader(
            session,
            policy.alliance_records(principal, db.AgendaItem),
            db.AgendaItem.meeting_id,
            db.AgendaItem.position,
        )
        self.attendance_of_meeting = grouped_loader(
            session,
            policy.alliance_records(principal, db.Attendance),
            db.Attendance.meeting_id,
            db.Attendance.recorded_at,
            db.Attendance.id,
        )
