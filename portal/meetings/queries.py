"""Reading meetings: the getter and the list selection."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import Select

from auth import policy
from auth.principal import Principal
from db.enums import MeetingStatus
from db.governance import Meeting
from db.session import LockedSession
from portal.kernel.lookup import get_visible
from portal.meetings.rules import aware


async def get_meeting(
    session: LockedSession,
    principal: Principal,
    meeting_id: uuid.UUID,
    *,
    field: str = "meeting",
    for_update: bool = False,
) -> Meeting:
    """A meeting in an alliance the principal is active in, or ``NotFound``."""
    return await get_visible(
        session,
        policy.alliance_records(principal, Meeting),
        meeting_id,
        what="meeting",
        field=field,
        for_update=for_update,
    )


def list_query(
    principal: Principal,
    alliance_id: uuid.UUID,
    *,
    committee_id: uuid.UUID | None = None,
    statuses: Sequence[MeetingStatus] | None = None,
    starts_from: dt.datetime | None = None,
    starts_before: dt.datetime | None = None,
) -> Select[Meeting]:
    """The meetings of an alliance the principal sees, narrowed by committee, status and
    a window of start times (``starts_from`` inclusive, ``starts_before`` exclusive)."""
    query = policy.alliance_records(principal, Meeting).where(Meeting.alliance_id == alliance_id)
    if committee_id is not None:
        query = query.where(Meeting.committee_id == committee_id)
    if statuses:
        query = query.where(Meeting.status.in_(statuses))
    if starts_from is not None:
        query = query.where(Meeting.starts_at >= aware(starts_from, "from"))
    if starts_before is not None:
        query = query.where(Meeting.starts_at < aware(starts_before, "to"))
    return query
